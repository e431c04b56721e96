-- Each stage's reviewers kept apart: a reviewer routed to an item in two stages of a review has a
-- row for each stage, so every stage keeps (and the binder shows) who reviewed the item in it.
-- Rebuilt because a primary key cannot be altered in place.
CREATE TABLE item_reviewer_new (
    campaign_id    TEXT NOT NULL,
    item_id        INTEGER NOT NULL,
    reviewer_id    TEXT NOT NULL,
    reviewer_upn   TEXT NOT NULL,
    reviewer_name  TEXT NOT NULL,
    -- NULL for the primary reviewer; the reason code when the item was rerouted to a fallback.
    reroute_reason TEXT,
    conflict       TEXT,
    stage          INTEGER NOT NULL DEFAULT 1 CHECK (stage BETWEEN 1 AND 3),
    PRIMARY KEY (campaign_id, item_id, stage, reviewer_id),
    FOREIGN KEY (campaign_id, item_id) REFERENCES item(campaign_id, id)
) STRICT;
INSERT INTO item_reviewer_new (campaign_id, item_id, reviewer_id, reviewer_upn, reviewer_name,
    reroute_reason, conflict, stage)
SELECT campaign_id, item_id, reviewer_id, reviewer_upn, reviewer_name, reroute_reason, conflict,
    stage FROM item_reviewer;
DROP TABLE item_reviewer;
ALTER TABLE item_reviewer_new RENAME TO item_reviewer;
CREATE INDEX item_reviewer_by_reviewer ON item_reviewer (campaign_id, reviewer_id, item_id);
