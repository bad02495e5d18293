-- console_sessions: who is signed in to the console. The browser's cookie holds a random secret; only its
-- SHA-256 is kept here, so a copy of the database signs nobody in. Deleting a row ends that session at
-- once (sign-out, `starter session revoke`, `starter token revoke`); expired rows are swept.
CREATE TABLE console_sessions (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    principal   TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL CHECK (role IN ('agent', 'reviewer', 'dpo', 'admin')),
    token_hash  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_principal ON console_sessions (principal);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
