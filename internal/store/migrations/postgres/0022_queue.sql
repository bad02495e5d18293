-- assignee: who on the team handles a request, as a principal id (token:NAME, oidc:SUB, dev); '' for
-- nobody. Staff identities, not the subject's: the index may hold them.
ALTER TABLE requests ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_open_assignee ON requests (assignee, due_at, id) WHERE closed_at IS NULL;

-- request_notes: the team's internal notes on a request. The body may hold personal data: it is sealed
-- under the request's data key, so shredding the request destroys it with the rest.
CREATE TABLE request_notes (
    id         BIGSERIAL PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author     TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    body       BYTEA NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, id);
