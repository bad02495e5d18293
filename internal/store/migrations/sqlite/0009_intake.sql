-- The same schema as migrations/postgres/0009_intake.sql: times are INTEGER microseconds since the Unix
-- epoch (UTC), binary columns BLOB.
CREATE UNIQUE INDEX requests_one_open ON requests (subject_key, type)
    WHERE closed_at IS NULL AND subject_key <> '';

CREATE TABLE pending_starts (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    input      BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
