-- The same schema as migrations/postgres/0006_envelope_encryption.sql: times are INTEGER microseconds
-- since the Unix epoch (UTC), binary columns BLOB. Rows written before this migration are encrypted by
-- the store in the same transaction (store.Migrate, after this file).
CREATE TABLE data_keys (
    owner       TEXT PRIMARY KEY NOT NULL,
    key_id      TEXT NOT NULL,
    wrapped     BLOB,
    created_at  INTEGER NOT NULL,
    shredded_at INTEGER,
    CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL))
);
CREATE INDEX data_keys_key_id ON data_keys (key_id);

ALTER TABLE outbox ADD COLUMN sealed BLOB;
DROP INDEX outbox_to;

ALTER TABLE decisions ADD COLUMN sealed_reason BLOB;

CREATE INDEX requests_closed ON requests (closed_at, id) WHERE closed_at IS NOT NULL;
