-- The same schema as migrations/postgres/0001_init.sql. Times are INTEGER microseconds since the Unix
-- epoch (UTC), because SQLite's text timestamps do not compare reliably.

-- requests: the searchable index of data-subject requests. No personal data.
CREATE TABLE requests (
    id              TEXT PRIMARY KEY NOT NULL,
    type            TEXT NOT NULL,
    status          TEXT NOT NULL,
    country         TEXT NOT NULL DEFAULT '',
    jurisdiction    TEXT NOT NULL DEFAULT '',
    received_at     INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    extended_due_at INTEGER,
    closed_at       INTEGER,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX requests_status_due ON requests (status, due_at, id);
CREATE INDEX requests_open_due ON requests (due_at, id) WHERE closed_at IS NULL;
CREATE INDEX requests_type ON requests (type);
CREATE INDEX requests_country ON requests (country);

-- audit_events: append-only, hash-chained; seq is assigned by the store inside a write transaction.
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY NOT NULL CHECK (seq > 0),
    at         INTEGER NOT NULL,
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

-- Defence in depth: the hash chain detects tampering, these triggers stop it by accident.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE is not allowed');
END;

-- outbox: mail waiting to be sent, and sent. to_addr and body are personal data.
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_pending ON outbox (created_at, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_request ON outbox (request_id);
CREATE INDEX outbox_to ON outbox (to_addr);
