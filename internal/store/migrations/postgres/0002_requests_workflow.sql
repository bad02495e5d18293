-- What the request workflow needs beside the index: the subject's lookup key, the subject's details,
-- verification codes, connector jobs and their records, reviewers' decisions and answer exports.
-- Every table below refers to requests(id): the request row is written first (the workflow records it at
-- intake), and deleting a request deletes everything about it.

-- subject_key is a keyed hash of the subject's normalised email, computed outside the store; '' for
-- requests recorded before it existed. The index finds a subject's open request of a type.
ALTER TABLE requests ADD COLUMN subject_key TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_open_subject ON requests (subject_key, type, received_at, id) WHERE closed_at IS NULL;

-- request_details: the subject's identity and the request's other inputs, as opaque JSON. Personal data.
CREATE TABLE request_details (
    request_id TEXT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    identity   BYTEA NOT NULL,
    details    BYTEA NOT NULL
);

-- verification_codes: the one live code of a request, as a keyed hash only.
CREATE TABLE verification_codes (
    request_id    TEXT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    hash          TEXT NOT NULL,
    issued_at     TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    attempts_left INTEGER NOT NULL CHECK (attempts_left >= 0),
    resends       INTEGER NOT NULL DEFAULT 0 CHECK (resends >= 0),
    verified_at   TIMESTAMPTZ
);

-- jobs: one row per connector job of a request. No personal data: counts is a JSON object of integers,
-- exemptions opaque JSON.
CREATE TABLE jobs (
    job_id       TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    connector_id TEXT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    status       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    counts       TEXT NOT NULL DEFAULT '{}',
    exemptions   BYTEA,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_request ON jobs (request_id, connector_id, action, job_id);
CREATE INDEX jobs_updated ON jobs (updated_at);

-- job_records: the subject's data an access job returned, as opaque JSON. Personal data.
CREATE TABLE job_records (
    job_id     TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    records    BYTEA NOT NULL
);
CREATE INDEX job_records_request ON job_records (request_id);

-- decisions: reviewers' votes, one per reviewer and request. reason may hold personal data.
CREATE TABLE decisions (
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    reviewer   TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason     TEXT NOT NULL DEFAULT '',
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (request_id, reviewer)
);
CREATE INDEX decisions_request_at ON decisions (request_id, at, reviewer);

-- exports: the archive answering an access or portability request. Personal data.
CREATE TABLE exports (
    request_id TEXT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    data       BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX exports_expires ON exports (expires_at);
