-- api_tokens: bearer tokens for the API, each with a role. Only the SHA-256 of a token is kept: tokens
-- are random and long, so a plain hash resists guessing, and a lost database does not hand out access.
CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('agent', 'reviewer', 'dpo', 'admin')),
    hash       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
