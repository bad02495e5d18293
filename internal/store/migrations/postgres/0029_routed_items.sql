-- routed_items (issue 22): a subject's request forwarded to the business customer that controls data
-- the group holds for it as a processor, one row per customer tenant found. No personal data: ids,
-- states and times; reason is the customer's own text about a decline.
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
    due_at        TIMESTAMPTZ NOT NULL,
    notified_at   TIMESTAMPTZ NOT NULL,
    instructed_at TIMESTAMPTZ,
    closed_at     TIMESTAMPTZ,
    escalated_at  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX routed_items_request ON routed_items (request_id);
CREATE INDEX routed_items_customer ON routed_items (customer_id, state);
