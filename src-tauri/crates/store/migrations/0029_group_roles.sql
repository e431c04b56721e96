-- The roles a group holds, found by the group: a PIM group's tier in the worklist is the tier of
-- the roles it holds. Partial, so only the few assignments held by groups are indexed and a
-- large pull's writing of user assignments does not pay for it.
CREATE INDEX assignment_group_principal ON assignment (tenant_id, principal_id)
    WHERE principal_kind = 'group';
