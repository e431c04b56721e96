-- Evidence exports: what was exported when, with the hashes that tie the files to the database.
CREATE TABLE evidence_export (
    id            INTEGER PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES campaign(id),
    generated_at  TEXT NOT NULL,
    actor         TEXT NOT NULL,
    -- The audit log's last event included in the binder; later events are not in it.
    audit_seq     INTEGER NOT NULL,
    evidence_hash TEXT NOT NULL,
    -- JSON: file name → SHA-256 of every file written.
    files         TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_export_campaign ON evidence_export (campaign_id, id);
