-- The disclosure register's case fields (authority, case reference, legal basis, court order, court) move
-- into case_sealed, encrypted under the request's data key like every other confidential field; the
-- clear columns are emptied by the migration's Go step (store.sealDisclosureCases). Same as postgres.
ALTER TABLE disclosures ADD COLUMN case_sealed BLOB;
