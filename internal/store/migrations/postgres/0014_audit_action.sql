-- Refusals are counted by ground from their audit events (CountRefusals): an index on the action keeps
-- the count from reading the whole log.
CREATE INDEX audit_events_action ON audit_events (action, seq);
