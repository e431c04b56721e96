-- The worklist at scale: an index for its search, and a decision taken back.

-- The worklist's search as an index made for substrings: FTS5 with the trigram tokenizer over the
-- same lowercased text (name, UPN, role) that `item.search_text` holds, so a search of three
-- characters or more that few items match reads those items' trigrams instead of scanning every
-- item of the campaign. The text is lowercased before it is stored and searched, so the index
-- compares it exactly (`case_sensitive 1`): what matches is what the substring scan matches.
--
-- The index keeps no copy of the text (contentless: matching needs only the trigrams) and names
-- each item by its rowid alone, `campaign key << 32 | item id`, so a search reads no row of its
-- own and one campaign's items are one range of rowids. The campaign key is an INTEGER PRIMARY
-- KEY, which a VACUUM keeps (an item's implicit rowid it may renumber).
CREATE TABLE item_search_campaign (
    key         INTEGER PRIMARY KEY,
    campaign_id TEXT NOT NULL UNIQUE
) STRICT;
CREATE VIRTUAL TABLE item_search USING fts5(
    search_text,
    tokenize = 'trigram case_sensitive 1',
    content = '',
    contentless_delete = 1
);
INSERT INTO item_search_campaign (campaign_id) SELECT DISTINCT campaign_id FROM item;
INSERT INTO item_search (rowid, search_text)
    SELECT (k.key << 32) | i.id, i.search_text
    FROM item i JOIN item_search_campaign k ON k.campaign_id = i.campaign_id;

-- Triggers keep the index in step with the items however they are written.
CREATE TRIGGER item_search_insert AFTER INSERT ON item BEGIN
    INSERT OR IGNORE INTO item_search_campaign (campaign_id) VALUES (new.campaign_id);
    INSERT INTO item_search (rowid, search_text) VALUES (
        ((SELECT key FROM item_search_campaign WHERE campaign_id = new.campaign_id) << 32) | new.id,
        new.search_text);
END;
CREATE TRIGGER item_search_update AFTER UPDATE OF search_text ON item BEGIN
    DELETE FROM item_search WHERE rowid =
        ((SELECT key FROM item_search_campaign WHERE campaign_id = old.campaign_id) << 32) | old.id;
    INSERT INTO item_search (rowid, search_text) VALUES (
        ((SELECT key FROM item_search_campaign WHERE campaign_id = new.campaign_id) << 32) | new.id,
        new.search_text);
END;
CREATE TRIGGER item_search_delete AFTER DELETE ON item BEGIN
    DELETE FROM item_search WHERE rowid =
        ((SELECT key FROM item_search_campaign WHERE campaign_id = old.campaign_id) << 32) | old.id;
END;

-- A reviewer may return an item to undecided while the campaign is open: the decision log
-- records it as a row of its own (verdict `undecided`), so the history keeps what was decided
-- and taken back, and the decision that stands is the reviewer's latest row that is not one.
-- The log is rebuilt for the new value (a CHECK cannot be altered in place).
CREATE TABLE decision_new (
    id             INTEGER PRIMARY KEY,
    campaign_id    TEXT NOT NULL,
    item_id        INTEGER NOT NULL,
    reviewer_id    TEXT NOT NULL,
    verdict        TEXT NOT NULL CHECK (verdict IN
                       ('approve', 'deny', 'dontKnow', 'convertToEligible', 'approveUntil',
                        'undecided')),
    keep_until     TEXT CHECK ((verdict = 'approveUntil') = (keep_until IS NOT NULL)),
    justification  TEXT NOT NULL,
    decided_by_id  TEXT NOT NULL,
    decided_by_upn TEXT NOT NULL,
    decided_at     TEXT NOT NULL,
    source         TEXT NOT NULL,
    batch          INTEGER,
    stage          INTEGER NOT NULL DEFAULT 1 CHECK (stage BETWEEN 1 AND 3),
    auth_method    TEXT NOT NULL DEFAULT 'unrecorded'
                       CHECK (auth_method IN ('signIn', 'restoredSignIn', 'accessReviews',
                                              'csvImport', 'demoActAs', 'unrecorded')),
    auth_tenant    TEXT,
    auth_object    TEXT,
    auth_at        TEXT,
    auth_by        TEXT,
    FOREIGN KEY (campaign_id, item_id) REFERENCES item(campaign_id, id)
) STRICT;
INSERT INTO decision_new (id, campaign_id, item_id, reviewer_id, verdict, keep_until,
    justification, decided_by_id, decided_by_upn, decided_at, source, batch, stage, auth_method,
    auth_tenant, auth_object, auth_at, auth_by)
SELECT id, campaign_id, item_id, reviewer_id, verdict, keep_until, justification, decided_by_id,
    decided_by_upn, decided_at, source, batch, stage, auth_method, auth_tenant, auth_object,
    auth_at, auth_by FROM decision;
DROP TABLE decision;
ALTER TABLE decision_new RENAME TO decision;
CREATE INDEX decision_item ON decision (campaign_id, item_id, reviewer_id, id);
