-- suppressions: the marketing suppression list. hash is a keyed hash (secret.Key.SuppressionHash) of a
-- normalised email address that opted out of marketing, objected to direct marketing or was erased; it
-- holds no readable personal data and is never crypto-shredded, so an erased person cannot be imported
-- and mailed again. reason is opted_out, objected or erased; created_at is the first time it was added.
CREATE TABLE suppressions (
    hash       TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
