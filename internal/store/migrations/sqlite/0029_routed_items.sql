-- The same schema as migrations/postgres/0029_routed_items.sql; times are INTEGER microseconds (UTC).
CREATE TABLE routed_items (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL,
    request_type  TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    connector_id  TEXT NOT NULL,
    state         TEXT NOT NULL,
    instruction   TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    due_at        INTEGER NOT NULL,
    notified_at   INTEGER NOT NULL,
    instructed_at INTEGER,
    closed_at     INTEGER,
    escalated_at  INTEGER,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX routed_items_request ON routed_items (request_id);
CREATE INDEX routed_items_customer ON routed_items (customer_id, state);
