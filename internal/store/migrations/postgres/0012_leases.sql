-- leases: a named duty held by one process at a time among replicas sharing the store (the /metrics store
-- gauges: one front door computes them). holder is a process id chosen at start, never personal data; a
-- holder renews before expires_at, and after it any process may take the lease over.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
