-- The same schema as migrations/postgres/0021_request_agents.sql.
CREATE TABLE request_agents (
    request_id        TEXT PRIMARY KEY,
    permission_sha256 TEXT NOT NULL,
    sealed            BLOB NOT NULL
);
