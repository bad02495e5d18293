-- The same schema as migrations/postgres/0018_kept.sql; times are INTEGER microseconds (UTC).
CREATE TABLE kept (
    job_id       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    dataset      TEXT NOT NULL,
    ref          TEXT NOT NULL,
    kept_until   INTEGER NOT NULL,
    purged_at    INTEGER,
    purge_job    TEXT,
    PRIMARY KEY (job_id, dataset, ref)
);
CREATE INDEX kept_due ON kept (kept_until) WHERE purged_at IS NULL;
