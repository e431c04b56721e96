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
