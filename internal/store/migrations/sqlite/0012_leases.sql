-- The same schema as migrations/postgres/0012_leases.sql; times are INTEGER microseconds (UTC).
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
