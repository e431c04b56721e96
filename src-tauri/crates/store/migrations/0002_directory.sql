-- The directory behind the population (principals, members of role-holding groups, activation
-- history), the raw pages of the latest pull, and how to reach each tenant. All replaced whole with
-- the population by each successful pull, except the connection settings. No secrets here.
CREATE TABLE principal (
    tenant_id       TEXT NOT NULL REFERENCES tenant(id),
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    upn             TEXT,
    mail            TEXT,
    account_enabled INTEGER,
    user_type       TEXT CHECK (user_type IN ('member', 'guest')),
    manager_id      TEXT,
    last_sign_in    TEXT,
    pull_id         INTEGER NOT NULL REFERENCES pull(id),
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX principal_manager ON principal (tenant_id, manager_id);

CREATE TABLE group_member (
    tenant_id TEXT NOT NULL REFERENCES tenant(id),
    group_id  TEXT NOT NULL,
    member_id TEXT NOT NULL,
    pull_id   INTEGER NOT NULL REFERENCES pull(id),
    PRIMARY KEY (tenant_id, group_id, member_id)
) STRICT;
CREATE INDEX group_member_member ON group_member (tenant_id, member_id);

CREATE TABLE activation (
    tenant_id    TEXT NOT NULL REFERENCES tenant(id),
    surface      TEXT NOT NULL,
    role_id      TEXT NOT NULL,
    scope        TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    at           TEXT NOT NULL,
    pull_id      INTEGER NOT NULL REFERENCES pull(id)
) STRICT;
CREATE INDEX activation_principal ON activation (tenant_id, principal_id, role_id);

-- Every raw response of the latest pull with the request behind it, in hash order: what
-- `pull.raw_sha256` is computed over, so a snapshot can be re-verified later.
CREATE TABLE pull_page (
    pull_id      INTEGER NOT NULL REFERENCES pull(id),
    seq          INTEGER NOT NULL,
    method       TEXT NOT NULL,
    url          TEXT NOT NULL,
    request_body BLOB,
    body         BLOB NOT NULL,
    PRIMARY KEY (pull_id, seq)
) STRICT;

CREATE TABLE pull_note (
    pull_id INTEGER NOT NULL REFERENCES pull(id),
    seq     INTEGER NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (pull_id, seq)
) STRICT;

-- How to reach a tenant: the cloud and the sign-in method, never a secret (a client secret is
-- given at run time, refresh tokens live in the OS keychain).
CREATE TABLE tenant_connection (
    tenant_id        TEXT PRIMARY KEY REFERENCES tenant(id),
    cloud            TEXT NOT NULL CHECK (cloud IN ('public', 'usGovernment', 'china', 'custom')),
    base_url         TEXT,
    auth             TEXT NOT NULL
                     CHECK (auth IN ('interactive', 'appSecret', 'appCertificate', 'azureCli')),
    client_id        TEXT,
    certificate_path TEXT,
    updated_at       TEXT NOT NULL
) STRICT;
