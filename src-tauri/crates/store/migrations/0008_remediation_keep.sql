-- A held removal that a named governance admin decides against: the access stays, with the
-- admin's reason, and the hold no longer waits for a confirmation. Kept and confirmed exclude
-- each other (the store refuses the second).
ALTER TABLE remediation_hold ADD COLUMN kept_by_id TEXT;
ALTER TABLE remediation_hold ADD COLUMN kept_by_upn TEXT;
ALTER TABLE remediation_hold ADD COLUMN kept_at TEXT;
ALTER TABLE remediation_hold ADD COLUMN kept_reason TEXT;
