-- The same schema as migrations/postgres/0007_disclosures.sql; times are INTEGER microseconds (UTC).
CREATE TABLE disclosures (
    request_id            TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    authority             TEXT NOT NULL,
    country               TEXT NOT NULL,
    case_ref              TEXT NOT NULL,
    legal_basis           TEXT NOT NULL DEFAULT '',
    court_order           TEXT NOT NULL DEFAULT '',
    court                 TEXT NOT NULL DEFAULT '',
    order_date            TEXT NOT NULL DEFAULT '',
    categories_requested  TEXT NOT NULL DEFAULT '[]',
    categories_disclosed  TEXT NOT NULL DEFAULT '[]',
    subjects              INTEGER NOT NULL CHECK (subjects >= 0),
    outcome               TEXT NOT NULL CHECK (outcome IN ('in_review', 'refused_no_order', 'refused_on_review', 'complied')),
    approvers             TEXT NOT NULL DEFAULT '[]',
    gag_until             TEXT NOT NULL DEFAULT '',
    received_at           INTEGER NOT NULL,
    decided_at            INTEGER,
    disclosed_at          INTEGER
);
CREATE INDEX disclosures_received ON disclosures (received_at, country);
