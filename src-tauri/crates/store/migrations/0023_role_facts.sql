-- What a reviewer is told about a role and where it applies: the permissions each role grants as
-- the latest pull read them (a JSON array of action strings; NULL where none were read), and the
-- names of the administrative units and subscriptions assignments are scoped to. Both are
-- replaced whole with the population, like the role catalogue.
ALTER TABLE role_definition ADD COLUMN permissions TEXT;
CREATE TABLE scope_name (
    tenant_id    TEXT NOT NULL REFERENCES tenant(id),
    -- As assignments name it, lowercase: '/administrativeunits/{id}', '/subscriptions/{id}'.
    scope        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, scope)
) STRICT;
