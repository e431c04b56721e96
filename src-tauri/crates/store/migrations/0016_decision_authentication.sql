-- How the person who recorded each decision was identified: authenticated by Entra (a sign-in,
-- with the ID token's tenant and object id and when) or only asserted (a CSV line imported by an
-- admin, the demo tenant's "act as"). Decisions recorded before this kept nothing: 'unrecorded'.
ALTER TABLE decision ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'unrecorded'
    CHECK (auth_method IN ('signIn', 'restoredSignIn', 'accessReviews', 'csvImport', 'demoActAs',
                           'unrecorded'));
ALTER TABLE decision ADD COLUMN auth_tenant TEXT;
ALTER TABLE decision ADD COLUMN auth_object TEXT;
ALTER TABLE decision ADD COLUMN auth_at TEXT;
-- The governance admin who imported the line (csvImport only).
ALTER TABLE decision ADD COLUMN auth_by TEXT;
