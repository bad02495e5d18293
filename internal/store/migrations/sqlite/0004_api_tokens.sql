-- The same schema as migrations/postgres/0004_api_tokens.sql; times are INTEGER microseconds (UTC).
CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('agent', 'reviewer', 'dpo', 'admin')),
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
