-- Authority requests by kind (issue 16); the same schema as migrations/postgres/0020_disclosure_kinds.sql.
-- kind: police (rows from before), supervisory_authority, statutory_order, vital_interest. The statute a
-- statutory order names is sealed with the case (case_sealed). order_sha256: the hex SHA-256 of the order
-- document. subjects_disclosed: the subjects whose data went out (NULL in rows from before, where the
-- report counts the subjects named). subject_key: the bundle's subject labels (S1, S2, ...) to the
-- subjects, sealed under the request's data key.
-- The outcome also takes approved and canceled: SQLite cannot change a CHECK, so the table is rebuilt.
CREATE TABLE disclosures_new (
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
    outcome               TEXT NOT NULL CHECK (outcome IN ('in_review', 'approved', 'refused_no_order', 'refused_on_review', 'complied', 'canceled')),
    approvers             TEXT NOT NULL DEFAULT '[]',
    gag_until             TEXT NOT NULL DEFAULT '',
    received_at           INTEGER NOT NULL,
    decided_at            INTEGER,
    disclosed_at          INTEGER,
    case_sealed           BLOB,
    kind                  TEXT NOT NULL DEFAULT 'police',
    order_sha256          TEXT NOT NULL DEFAULT '',
    subjects_disclosed    INTEGER,
    subject_key           BLOB
);
INSERT INTO disclosures_new (request_id, authority, country, case_ref, legal_basis, court_order, court, order_date,
    categories_requested, categories_disclosed, subjects, outcome, approvers, gag_until, received_at, decided_at,
    disclosed_at, case_sealed)
SELECT request_id, authority, country, case_ref, legal_basis, court_order, court, order_date,
    categories_requested, categories_disclosed, subjects, outcome, approvers, gag_until, received_at, decided_at,
    disclosed_at, case_sealed FROM disclosures;
DROP TABLE disclosures;
ALTER TABLE disclosures_new RENAME TO disclosures;
CREATE INDEX disclosures_received ON disclosures (received_at, country);
-- The order document itself, sealed under the request's data key (crypto-shredded with it).
CREATE TABLE disclosure_orders (
    request_id TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,
    sealed     BLOB NOT NULL
);
