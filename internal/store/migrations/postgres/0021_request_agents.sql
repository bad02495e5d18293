-- request_agents: the authorized agent who submitted a CCPA request for its consumer (11 CCR 7063):
-- the SHA-256 of the permission the consumer signed (hex, evidence, no personal data) and the agent's
-- name and address, sealed under the request's data key like request_details (shredding the request's
-- key destroys them).
CREATE TABLE request_agents (
    request_id        TEXT PRIMARY KEY,
    permission_sha256 TEXT NOT NULL,
    sealed            BYTEA NOT NULL
);
