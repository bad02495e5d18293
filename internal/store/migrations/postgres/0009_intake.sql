-- Intake that cannot leave a phantom, and limits shared by every front door (issue 13).
--
-- At most one open request per subject and type, whatever the number of front doors: the database
-- refuses the second. A store that already holds such duplicates is refused by store.Migrate before
-- this file runs, with their ids (see the README's "Lifecycle guarantees").
CREATE UNIQUE INDEX requests_one_open ON requests (subject_key, type)
    WHERE closed_at IS NULL AND subject_key <> '';

-- pending_starts: the complete workflow input of a request that was recorded but whose workflow may not
-- have started yet, written in the intake's transaction and dropped once the workflow runs. input is the
-- JSON of workflows.RequestInput, personal data, sealed under the request's data key.
CREATE TABLE pending_starts (
    request_id TEXT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    input      BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- rate_limits: the privacy center's counters, shared by every front door. bucket is a keyed hash of
-- what is counted (an address, a client), never the value; window is the window's start in Unix seconds.
CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
