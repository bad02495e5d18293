-- The same schema as migrations/postgres/0014_audit_action.sql.
CREATE INDEX audit_events_action ON audit_events (action, seq);
