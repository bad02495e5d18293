-- kept: what an erasure kept on a legal basis (GDPR Art. 17(3)) and until when, by the connector's opaque
-- ref to the kept rows (never personal data), so that the retention sweep has them purged when their
-- period ends. kept_until is the last day kept (midnight UTC); purged_at and purge_job say when and by
-- which purge job they went.
CREATE TABLE kept (
    job_id       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    dataset      TEXT NOT NULL,
    ref          TEXT NOT NULL,
    kept_until   TIMESTAMPTZ NOT NULL,
    purged_at    TIMESTAMPTZ,
    purge_job    TEXT,
    PRIMARY KEY (job_id, dataset, ref)
);
CREATE INDEX kept_due ON kept (kept_until) WHERE purged_at IS NULL;
