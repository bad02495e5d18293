-- The same schema as migrations/postgres/0005_key_canary.sql; times are INTEGER microseconds (UTC).
CREATE TABLE key_canary (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
