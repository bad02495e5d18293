-- The same schema as migrations/postgres/0013_suppressions.sql; times are INTEGER microseconds (UTC).
CREATE TABLE suppressions (
    hash       TEXT PRIMARY KEY NOT NULL,
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
