-- Campaigns published to Entra ID Access Reviews: one review (accessReviewScheduleDefinition)
-- per directory role and kind, so a decision read back is known by the review it came from.
CREATE TABLE entra_publication (
    campaign_id   TEXT NOT NULL REFERENCES campaign(id),
    role_id       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('eligible', 'active')),
    definition_id TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    -- When Recert stopped the review's instances at close.
    stopped_at    TEXT,
    PRIMARY KEY (campaign_id, role_id, kind)
) STRICT;

-- Each decision row synced from Entra: the Entra decision item it was read from and the
-- SHA-256 of the raw pages that carried it.
CREATE TABLE entra_decision (
    decision_row      INTEGER PRIMARY KEY REFERENCES decision(id),
    campaign_id       TEXT NOT NULL,
    entra_decision_id TEXT NOT NULL,
    reviewed_at       TEXT,
    pages_sha256      TEXT NOT NULL
) STRICT;
CREATE INDEX entra_decision_by_entra_id ON entra_decision (campaign_id, entra_decision_id);
