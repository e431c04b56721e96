-- Decisions that fit privileged access: "don't know", "convert to eligible" and "approve until a
-- date" beside approve and deny; multi-stage reviews; and remediation actions that change an
-- assignment instead of removing it (a conversion in two steps, a new end date).

-- The decision log, rebuilt for the new verdicts (a CHECK cannot be altered in place).
-- `keep_until` is the end date of "approve until" (YYYY-MM-DD, the end of that day UTC); `stage`
-- the stage of the review the decision was made in.
CREATE TABLE decision_new (
    id             INTEGER PRIMARY KEY,
    campaign_id    TEXT NOT NULL,
    item_id        INTEGER NOT NULL,
    reviewer_id    TEXT NOT NULL,
    verdict        TEXT NOT NULL CHECK (verdict IN
                       ('approve', 'deny', 'dontKnow', 'convertToEligible', 'approveUntil')),
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
INSERT INTO decision_new (id, campaign_id, item_id, reviewer_id, verdict, justification,
    decided_by_id, decided_by_upn, decided_at, source, batch, auth_method, auth_tenant,
    auth_object, auth_at, auth_by)
SELECT id, campaign_id, item_id, reviewer_id, verdict, justification, decided_by_id,
    decided_by_upn, decided_at, source, batch, auth_method, auth_tenant, auth_object, auth_at,
    auth_by FROM decision;
DROP TABLE decision;
ALTER TABLE decision_new RENAME TO decision;
CREATE INDEX decision_item ON decision (campaign_id, item_id, reviewer_id, id);

-- The standing decision's end date on the item, beside its verdict, and the stage an item is in
-- (each stage's reviewers are kept apart in item_reviewer).
ALTER TABLE item ADD COLUMN keep_until TEXT;
-- The end date a `keepUntil` outcome sets (the one that stands when several reviewers agreed).
ALTER TABLE item ADD COLUMN outcome_until TEXT;
ALTER TABLE item ADD COLUMN stage INTEGER NOT NULL DEFAULT 1;
ALTER TABLE item_reviewer ADD COLUMN stage INTEGER NOT NULL DEFAULT 1;
-- The stage a campaign is in (1 for a one-stage review).
ALTER TABLE campaign ADD COLUMN stage INTEGER NOT NULL DEFAULT 1;

-- The remediation journal, rebuilt so an action can change an assignment as well as remove it:
--   remove   adminRemove of the assignment (as before);
--   convert  two steps: adminAssign of an eligibility for the same principal, role and scope
--            (`first_*`: its body, the key naming it, and how far it got — verified by re-reading
--            before the second step), then adminRemove of the active assignment;
--   setEnd   adminUpdate giving the assignment the end `new_end`.
-- `new_end` is the eligibility's end for a conversion and the assignment's new end for setEnd.
-- A conversion or new end is verified as `verified-changed` (or `not-changed`).
CREATE TABLE remediation_action_new (
    campaign_id      TEXT NOT NULL,
    item_id          INTEGER NOT NULL,
    change           TEXT NOT NULL DEFAULT 'remove'
                     CHECK (change IN ('remove', 'convert', 'setEnd')),
    endpoint         TEXT NOT NULL,
    surface          TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('eligible', 'active')),
    source_id        TEXT NOT NULL,
    role_id          TEXT NOT NULL,
    role_name        TEXT NOT NULL,
    scope            TEXT NOT NULL,
    principal_id     TEXT NOT NULL,
    principal_name   TEXT NOT NULL,
    why              TEXT NOT NULL,
    state            TEXT NOT NULL
                     CHECK (state IN ('planned', 'submitted', 'succeeded', 'failed', 'skipped')),
    state_code       TEXT,
    state_reason     TEXT,
    request_body     TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    request_id       TEXT,
    request_status   TEXT,
    last_error       TEXT,
    planned_at       TEXT NOT NULL,
    submitted_at     TEXT,
    finished_at      TEXT,
    verification     TEXT CHECK (verification IN
                     ('verified-removed', 'still-present', 'reappeared', 'verified-changed',
                      'not-changed')),
    verification_note TEXT,
    verified_at      TEXT,
    kept_by_id       TEXT,
    kept_by_upn      TEXT,
    kept_at          TEXT,
    kept_reason      TEXT,
    retries          INTEGER NOT NULL DEFAULT 0,
    replanned        INTEGER NOT NULL DEFAULT 0 CHECK (replanned IN (0, 1)),
    replanned_end    TEXT,
    new_end          TEXT CHECK ((change = 'remove') = (new_end IS NULL)),
    first_body       TEXT CHECK ((change = 'convert') = (first_body IS NOT NULL)),
    first_key        TEXT,
    first_state      TEXT CHECK (first_state IN ('planned', 'submitted', 'verified')),
    first_request_id TEXT,
    first_at         TEXT,
    PRIMARY KEY (campaign_id, item_id),
    FOREIGN KEY (campaign_id, item_id) REFERENCES item(campaign_id, id)
) STRICT;
INSERT INTO remediation_action_new (campaign_id, item_id, endpoint, surface, kind, source_id,
    role_id, role_name, scope, principal_id, principal_name, why, state, state_code, state_reason,
    request_body, idempotency_key, attempts, request_id, request_status, last_error, planned_at,
    submitted_at, finished_at, verification, verification_note, verified_at, kept_by_id,
    kept_by_upn, kept_at, kept_reason, retries, replanned, replanned_end)
SELECT campaign_id, item_id, endpoint, surface, kind, source_id, role_id, role_name, scope,
    principal_id, principal_name, why, state, state_code, state_reason, request_body,
    idempotency_key, attempts, request_id, request_status, last_error, planned_at, submitted_at,
    finished_at, verification, verification_note, verified_at, kept_by_id, kept_by_upn, kept_at,
    kept_reason, retries, replanned, replanned_end FROM remediation_action;
DROP TABLE remediation_action;
ALTER TABLE remediation_action_new RENAME TO remediation_action;
CREATE UNIQUE INDEX remediation_action_assignment
    ON remediation_action (campaign_id, surface, kind, source_id);
CREATE INDEX remediation_action_state ON remediation_action (campaign_id, state);
