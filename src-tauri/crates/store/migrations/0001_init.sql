-- Tenants, the latest pulled population, and the audit log.
CREATE TABLE tenant (
    id          TEXT PRIMARY KEY,           -- Recert's own handle, e.g. "demo"
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('demo', 'entra')),
    tenant_guid TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE pull (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenant(id),
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    actor        TEXT NOT NULL,
    requests     INTEGER NOT NULL,
    raw_sha256   TEXT NOT NULL
) STRICT;

CREATE TABLE role_definition (
    tenant_id    TEXT NOT NULL REFERENCES tenant(id),
    surface      TEXT NOT NULL,
    id           TEXT NOT NULL,
    display_name TEXT NOT NULL,
    is_built_in  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, surface, id)
) STRICT;

CREATE TABLE assignment (
    tenant_id      TEXT NOT NULL REFERENCES tenant(id),
    surface        TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('eligible', 'active')),
    source_id      TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    scope          TEXT NOT NULL,
    principal_id   TEXT NOT NULL,
    principal_kind TEXT NOT NULL,
    principal_name TEXT NOT NULL,
    principal_upn  TEXT,
    membership     TEXT NOT NULL CHECK (membership IN ('direct', 'group')),
    start_at       TEXT,
    end_at         TEXT,
    pull_id        INTEGER NOT NULL REFERENCES pull(id),
    PRIMARY KEY (tenant_id, surface, kind, source_id)
) STRICT;
CREATE INDEX assignment_role ON assignment (tenant_id, surface, role_id);

-- Append-only: each row's hash covers its fields and the previous row's hash, so an edited,
-- deleted or reordered row breaks the chain (see audit.rs).
CREATE TABLE audit_event (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
