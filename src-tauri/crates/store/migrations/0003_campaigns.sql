-- Campaign definitions, campaigns with their sealed snapshots, review items, reviewers and
-- decisions, and governance settings.
CREATE TABLE campaign_definition (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenant(id),
    name        TEXT NOT NULL,
    -- The definition as the app's JSON form; frozen into each campaign at opening.
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE campaign (
    id            TEXT PRIMARY KEY,
    definition_id TEXT NOT NULL REFERENCES campaign_definition(id),
    occurrence    INTEGER NOT NULL,
    name          TEXT NOT NULL,
    state         TEXT NOT NULL,
    state_reason  TEXT,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    definition    TEXT NOT NULL,
    opened_at     TEXT,
    closed_at     TEXT,
    completed_at  TEXT,
    UNIQUE (definition_id, occurrence)
) STRICT;

-- The population as pulled when the campaign opened: the extraction record and every raw page.
CREATE TABLE snapshot (
    campaign_id TEXT PRIMARY KEY REFERENCES campaign(id),
    taken_at    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    requests    INTEGER NOT NULL,
    raw_sha256  TEXT NOT NULL,
    -- JSON: endpoints and filters used, counts per role and kind.
    record      TEXT NOT NULL
) STRICT;

CREATE TABLE snapshot_page (
    campaign_id  TEXT NOT NULL REFERENCES snapshot(campaign_id),
    seq          INTEGER NOT NULL,
    method       TEXT NOT NULL,
    url          TEXT NOT NULL,
    -- The request body of reads sent as POST (getByIds, $batch); NULL for GETs.
    request_body BLOB,
    body         BLOB NOT NULL,
    PRIMARY KEY (campaign_id, seq)
) STRICT;

CREATE TABLE item (
    campaign_id        TEXT NOT NULL REFERENCES campaign(id),
    id                 INTEGER NOT NULL,
    surface            TEXT NOT NULL,
    kind               TEXT NOT NULL,
    source_id          TEXT NOT NULL,
    role_id            TEXT NOT NULL,
    role_name          TEXT NOT NULL,
    scope              TEXT NOT NULL,
    principal_id       TEXT NOT NULL,
    principal_kind     TEXT NOT NULL,
    principal_name     TEXT NOT NULL,
    principal_upn      TEXT,
    user_type          TEXT,
    account_enabled    INTEGER,
    membership         TEXT NOT NULL,
    start_at           TEXT,
    end_at             TEXT,
    last_activation    TEXT,
    recommendation     TEXT,
    recommendation_code TEXT,
    recommendation_reason TEXT,
    -- The decision that stands now, kept here so worklist filters need no join.
    verdict            TEXT,
    decided_at         TEXT,
    decided_by_upn     TEXT,
    outcome            TEXT,
    outcome_code       TEXT,
    outcome_reason     TEXT,
    -- Lowercased principal name, UPN and role name: one LIKE per search word instead of three.
    search_text        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, id)
) STRICT;
-- The worklist's order, covering every filter column: a page of 200 is read in order from the
-- index alone and the scan stops at the page's end; a count scans the index, not the rows.
CREATE INDEX item_order ON item (campaign_id, role_name, principal_name, id, verdict, kind,
    membership, recommendation, search_text);
CREATE INDEX item_role ON item (campaign_id, role_id);
CREATE INDEX item_principal ON item (campaign_id, principal_id);

CREATE TABLE item_reviewer (
    campaign_id    TEXT NOT NULL,
    item_id        INTEGER NOT NULL,
    reviewer_id    TEXT NOT NULL,
    reviewer_upn   TEXT NOT NULL,
    reviewer_name  TEXT NOT NULL,
    -- NULL for the primary reviewer; the reason code when the item was rerouted to a fallback.
    reroute_reason TEXT,
    PRIMARY KEY (campaign_id, item_id, reviewer_id),
    FOREIGN KEY (campaign_id, item_id) REFERENCES item(campaign_id, id)
) STRICT;
CREATE INDEX item_reviewer_by_reviewer ON item_reviewer (campaign_id, reviewer_id, item_id);

-- Every decision ever made; the latest per (item, reviewer) stands until close.
CREATE TABLE decision (
    id             INTEGER PRIMARY KEY,
    campaign_id    TEXT NOT NULL,
    item_id        INTEGER NOT NULL,
    reviewer_id    TEXT NOT NULL,
    verdict        TEXT NOT NULL CHECK (verdict IN ('approve', 'deny')),
    justification  TEXT NOT NULL,
    decided_by_id  TEXT NOT NULL,
    decided_by_upn TEXT NOT NULL,
    decided_at     TEXT NOT NULL,
    -- How it was made: window, cli, import, bulk, recommendation.
    source         TEXT NOT NULL,
    batch          INTEGER,
    FOREIGN KEY (campaign_id, item_id) REFERENCES item(campaign_id, id)
) STRICT;
CREATE INDEX decision_item ON decision (campaign_id, item_id, reviewer_id, id);

CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
