-- What each pull could not read, and activation history that outlives the audit log's retention.

-- Per pull, per area and per object, what could not be read and why (recert-domain's gap.rs): a
-- group answering 403, a subscription readable only below it, an API without consent, an
-- unlicensed audit log. A pull with gaps still lands; a campaign over a surface with a gap opens
-- only when a governance admin accepts it with a reason.
CREATE TABLE pull_gap (
    pull_id     INTEGER NOT NULL REFERENCES pull(id),
    seq         INTEGER NOT NULL,
    area        TEXT NOT NULL CHECK (area IN ('directoryRole', 'pimGroup', 'azureRole',
                    'activationHistory', 'signInActivity')),
    object_id   TEXT,
    object_name TEXT,
    reason      TEXT NOT NULL CHECK (reason IN ('forbidden', 'notFound', 'notConsented',
                    'notLicensed', 'partialScope', 'notGovernable')),
    detail      TEXT NOT NULL,
    PRIMARY KEY (pull_id, seq)
) STRICT;

-- Every activation event ever read from the audit log, by its event id: appended, never replaced,
-- so the history grows with each pull beyond the log's 30 days.
CREATE TABLE activation_event (
    tenant_id     TEXT NOT NULL REFERENCES tenant(id),
    event_id      TEXT NOT NULL,
    surface       TEXT NOT NULL,
    role_id       TEXT NOT NULL,
    scope         TEXT NOT NULL,
    principal_id  TEXT NOT NULL,
    at            TEXT NOT NULL,
    first_pull_id INTEGER NOT NULL REFERENCES pull(id),
    PRIMARY KEY (tenant_id, event_id)
) STRICT;
CREATE INDEX activation_event_principal ON activation_event (tenant_id, principal_id, role_id);

-- Each window of the audit log a pull read completely: what the recorded history covers. Windows
-- that touch or overlap make one continuous history; a gap between them starts it afresh.
CREATE TABLE activation_read (
    tenant_id TEXT NOT NULL REFERENCES tenant(id),
    pull_id   INTEGER NOT NULL REFERENCES pull(id),
    since     TEXT NOT NULL,
    until     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, pull_id)
) STRICT;
