-- Envelope encryption of personal data (issue #7). Every personal field is encrypted with a data key of
-- its own request (AES-256-GCM, a random 256-bit key), and the data key is stored wrapped by the master
-- key ring (DSR_MASTER_KEYS). Destroying the wrapped key crypto-shreds the request's personal data.
--
-- Rows written before this migration are encrypted by the store in the same transaction (store.Migrate,
-- after this file): the migration needs the key ring when such rows exist, and fails without it.

-- data_keys: one data key per request (owner is the request id; a message queued without a request has
-- an owner of its own, "message:<id>"). key_id names the master key that wrapped it, so rotation can
-- tell old wraps from new. wrapped is NULL once the key is shredded, at shredded_at.
CREATE TABLE data_keys (
    owner       TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    wrapped     BYTEA,
    created_at  TIMESTAMPTZ NOT NULL,
    shredded_at TIMESTAMPTZ,
    CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL))
);
CREATE INDEX data_keys_key_id ON data_keys (key_id);

-- outbox: recipient, subject and body move into one encrypted column; the clear columns stay, empty.
ALTER TABLE outbox ADD COLUMN sealed BYTEA;
DROP INDEX outbox_to;

-- decisions: a reviewer's reason may quote the subject: encrypted; the clear column stays, empty.
ALTER TABLE decisions ADD COLUMN sealed_reason BYTEA;

-- Requests closed before a cutoff, for the record-retention sweep.
CREATE INDEX requests_closed ON requests (closed_at, id) WHERE closed_at IS NOT NULL;
