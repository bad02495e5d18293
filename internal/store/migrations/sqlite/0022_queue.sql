-- The same schema as migrations/postgres/0022_queue.sql; times are INTEGER microseconds (UTC).
ALTER TABLE requests ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_open_assignee ON requests (assignee, due_at, id) WHERE closed_at IS NULL;

CREATE TABLE request_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    body       BLOB NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, id);
