-- The latest pull's pages are recorded by digest: the request (method, URL, body) and the SHA-256
-- and length of each response body, in hash order. Keeping every body whole wrote about 300 MB
-- for a tenant of 100,000 assignments on every pull, and nothing reads them back: a campaign seals
-- its own copy of the exact bytes in `snapshot_page`, which is what `verify` checks.
DROP TABLE pull_page;
CREATE TABLE pull_page (
    pull_id      INTEGER NOT NULL REFERENCES pull(id),
    seq          INTEGER NOT NULL,
    method       TEXT NOT NULL,
    url          TEXT NOT NULL,
    request_body BLOB,
    body_sha256  TEXT NOT NULL,
    body_length  INTEGER NOT NULL,
    PRIMARY KEY (pull_id, seq)
) STRICT;
