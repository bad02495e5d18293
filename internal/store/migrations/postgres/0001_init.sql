-- requests: the searchable index of data-subject requests. No personal data: identities live elsewhere,
-- encrypted.
CREATE TABLE requests (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL,
    status          TEXT NOT NULL,
    country         TEXT NOT NULL DEFAULT '',
    jurisdiction    TEXT NOT NULL DEFAULT '',
    received_at     TIMESTAMPTZ NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    extended_due_at TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX requests_status_due ON requests (status, due_at, id);
CREATE INDEX requests_open_due ON requests (due_at, id) WHERE closed_at IS NULL;
CREATE INDEX requests_type ON requests (type);
CREATE INDEX requests_country ON requests (country);

-- audit_events: append-only, hash-chained. seq is assigned by the store under a lock, not by a sequence,
-- so it has no gaps from rolled-back transactions.
CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY CHECK (seq > 0),
    at         TIMESTAMPTZ NOT NULL,
    request_id TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '{}',
    idem_key   TEXT UNIQUE,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_events_request ON audit_events (request_id, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- outbox: mail waiting to be sent, and sent. to_addr and body are personal data.
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_pending ON outbox (created_at, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_request ON outbox (request_id);
CREATE INDEX outbox_to ON outbox (to_addr);
