-- The audit log viewer reads one page at a time, newest first, filtered by subject (a campaign),
-- actor or kind, over logs of 100,000 events and more. `seq` is the rowid, which SQLite appends to
-- every index entry, so each of these is read backwards for a page without sorting; the actor
-- index ignores case because actors are UPNs.
CREATE INDEX audit_event_subject ON audit_event (subject);
CREATE INDEX audit_event_actor ON audit_event (actor COLLATE NOCASE);
CREATE INDEX audit_event_kind ON audit_event (kind);
