-- Trust: who holds the keys of each tenant, one apply at a time, and removals that were not made
-- kept open until a person resolves them.

-- Governance admins, per tenant: they define, open, close and apply campaigns, change the safety
-- interlocks, decide held removals and act for reviewers. The first is bootstrapped from Entra (a
-- person who actively holds a governing directory role); every change is audited.
CREATE TABLE governance_admin (
    tenant_id    TEXT NOT NULL REFERENCES tenant(id),
    -- Entra object id, lowercase.
    principal_id TEXT NOT NULL,
    upn          TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- bootstrap: held a governing role, read from Entra; added: by an admin; demo: the demo
    -- tenant's own; imported: from the single list kept before admins were per tenant.
    how          TEXT NOT NULL CHECK (how IN ('bootstrap', 'added', 'demo', 'imported')),
    added_by     TEXT NOT NULL,
    added_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, principal_id)
) STRICT;

INSERT OR IGNORE INTO governance_admin
    (tenant_id, principal_id, upn, display_name, how, added_by, added_at)
SELECT json_extract(admin.value, '$.tenantId'),
       lower(json_extract(admin.value, '$.id')),
       coalesce(json_extract(admin.value, '$.upn'), ''),
       coalesce(json_extract(admin.value, '$.displayName'), ''),
       'imported',
       'migration 0009',
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM setting, json_each(setting.value) AS admin
WHERE setting.key = 'governance.admins'
  AND json_valid(setting.value)
  AND json_extract(admin.value, '$.tenantId') IN (SELECT id FROM tenant)
  AND coalesce(json_extract(admin.value, '$.id'), '') <> '';

-- One apply at a time per tenant, across processes (the window, the CLI, the scheduler). The
-- holder renews `expires_at` while it runs; a crashed holder's lease simply expires.
CREATE TABLE apply_lease (
    tenant_id    TEXT PRIMARY KEY REFERENCES tenant(id),
    -- Random, per run: only the run that took the lease renews or releases it.
    token        TEXT NOT NULL,
    -- Who and which process, for the refusal a second run gets.
    holder       TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    acquired_at  TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
) STRICT;

-- A removal that was not made (skipped or failed) stays an open exception until a named admin
-- keeps the access with a reason, or sends it back to planned (retry or re-plan).
ALTER TABLE remediation_action ADD COLUMN kept_by_id TEXT;
ALTER TABLE remediation_action ADD COLUMN kept_by_upn TEXT;
ALTER TABLE remediation_action ADD COLUMN kept_at TEXT;
ALTER TABLE remediation_action ADD COLUMN kept_reason TEXT;
-- How many times a person sent it back; each retry names its requests afresh.
ALTER TABLE remediation_action ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
-- After a re-plan: the end of the live assignment it now addresses (the snapshot's otherwise).
ALTER TABLE remediation_action ADD COLUMN replanned INTEGER NOT NULL DEFAULT 0 CHECK (replanned IN (0, 1));
ALTER TABLE remediation_action ADD COLUMN replanned_end TEXT;

-- The holder count a critical-role hold would leave: what the admin who confirms it accepts.
ALTER TABLE remediation_hold ADD COLUMN holders_after INTEGER;

-- A conflict of interest routing could not avoid (the reviewer holds the same role).
ALTER TABLE item_reviewer ADD COLUMN conflict TEXT;
