-- The same schema as migrations/postgres/0010_console_sessions.sql; times are INTEGER microseconds (UTC).
CREATE TABLE console_sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    principal   TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL CHECK (role IN ('agent', 'reviewer', 'dpo', 'admin')),
    token_hash  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX console_sessions_principal ON console_sessions (principal);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
