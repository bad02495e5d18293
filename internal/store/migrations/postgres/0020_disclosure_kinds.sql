-- Authority requests by kind (issue 16); the same schema as migrations/sqlite/0020_disclosure_kinds.sql.
-- kind: police (rows from before), supervisory_authority, statutory_order, vital_interest. The statute a
-- statutory order names is sealed with the case (case_sealed). order_sha256: the hex SHA-256 of the order
-- document. subjects_disclosed: the subjects whose data went out (NULL in rows from before, where the
-- report counts the subjects named). subject_key: the bundle's subject labels (S1, S2, ...) to the
-- subjects, sealed under the request's data key.
ALTER TABLE disclosures DROP CONSTRAINT disclosures_outcome_check;
ALTER TABLE disclosures ADD CONSTRAINT disclosures_outcome_check
    CHECK (outcome IN ('in_review', 'approved', 'refused_no_order', 'refused_on_review', 'complied', 'canceled'));
ALTER TABLE disclosures ADD COLUMN kind TEXT NOT NULL DEFAULT 'police';
ALTER TABLE disclosures ADD COLUMN order_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosures ADD COLUMN subjects_disclosed INTEGER;
ALTER TABLE disclosures ADD COLUMN subject_key BYTEA;
-- The order document itself, sealed under the request's data key (crypto-shredded with it).
CREATE TABLE disclosure_orders (
    request_id TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,
    sealed     BYTEA NOT NULL
);
