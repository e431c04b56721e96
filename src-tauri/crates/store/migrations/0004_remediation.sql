-- The remediation journal: one row per removal action of a campaign, written before its request
-- is sent and after its result, so that a restart resumes instead of resending. Held items wait
-- here for a named person (critical roles) or stand as exceptions for a human (groups, protected
-- principals, drift). Every change commits with its audit event.
CREATE TABLE remediation_action (
    campaign_id      TEXT NOT NULL,
    item_id          INTEGER NOT NULL,
    -- directoryEligibility, directoryAssignment, groupEligibility, groupAssignment,
    -- azureEligibility, azureAssignment
    endpoint         TEXT NOT NULL,
    surface          TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('eligible', 'active')),
    source_id        TEXT NOT NULL,
    role_id          TEXT NOT NULL,
    role_name        TEXT NOT NULL,
    scope            TEXT NOT NULL,
    principal_id     TEXT NOT NULL,
    principal_name   TEXT NOT NULL,
    -- Why the item is removed (the outcome's reason), for the preview and the evidence.
    why              TEXT NOT NULL,
    state            TEXT NOT NULL
                     CHECK (state IN ('planned', 'submitted', 'succeeded', 'failed', 'skipped')),
    -- A code for skipped/failed/succeeded-without-request (drift, activated, alreadyGone, …).
    state_code       TEXT,
    state_reason     TEXT,
    -- The exact body sent (no secrets in it) and the key that names every attempt of it: the
    -- ARM request name, the Graph ticket number.
    request_body     TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- The service's request object id and status, and the request-id of the last failure.
    request_id       TEXT,
    request_status   TEXT,
    last_error       TEXT,
    planned_at       TEXT NOT NULL,
    submitted_at     TEXT,
    finished_at      TEXT,
    verification     TEXT CHECK (verification IN ('verified-removed', 'still-present', 'reappeared')),
    verification_note TEXT,
    verified_at      TEXT,
    PRIMARY KEY (campaign_id, item_id),
    FOREIGN KEY (campaign_id, item_id) REFERENCES item(campaign_id, id)
) STRICT;
-- At most one removal per assignment in a campaign.
CREATE UNIQUE INDEX remediation_action_assignment
    ON remediation_action (campaign_id, surface, kind, source_id);
CREATE INDEX remediation_action_state ON remediation_action (campaign_id, state);

CREATE TABLE remediation_hold (
    campaign_id      TEXT NOT NULL,
    item_id          INTEGER NOT NULL,
    -- viaGroup, protectedPrincipal, criticalRoleMinimum
    code             TEXT NOT NULL,
    reason           TEXT NOT NULL,
    proposal         TEXT,
    -- Only critical-role holds can be confirmed into an action.
    confirmable      INTEGER NOT NULL CHECK (confirmable IN (0, 1)),
    confirmed_by_id  TEXT,
    confirmed_by_upn TEXT,
    confirmed_at     TEXT,
    PRIMARY KEY (campaign_id, item_id),
    FOREIGN KEY (campaign_id, item_id) REFERENCES item(campaign_id, id)
) STRICT;

-- When the plan was made (once per campaign) and with which safety settings.
CREATE TABLE remediation_plan (
    campaign_id TEXT PRIMARY KEY REFERENCES campaign(id),
    planned_at  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    -- JSON: protected principals and critical roles in force.
    safety      TEXT NOT NULL
) STRICT;
