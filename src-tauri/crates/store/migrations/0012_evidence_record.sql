-- Each export names the audit chain's head it was cut at and is signed by the installation's
-- Ed25519 key, so a binder proves which record it came from and that nothing was cut from the
-- chain's tail since.
ALTER TABLE evidence_export ADD COLUMN audit_head TEXT;
-- Hex Ed25519 signature over the export's signed statement, and the public key that made it.
ALTER TABLE evidence_export ADD COLUMN signature TEXT;
ALTER TABLE evidence_export ADD COLUMN signing_key TEXT;
