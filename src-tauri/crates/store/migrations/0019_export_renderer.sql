-- Each export names the Recert that made it and the version of the binder PDF's layout, so a
-- binder made by an earlier version is checked by its record and seal rather than reported as
-- different because today's layout draws it differently.
ALTER TABLE evidence_export ADD COLUMN generator TEXT;
ALTER TABLE evidence_export ADD COLUMN renderer TEXT;
