-- key_canary: a constant sealed with the payload key ring when the deployment first started. Opening it at
-- every start proves DSR_MASTER_KEYS still holds the key the data was encrypted with: a missing or wrong
-- key stops the process instead of failing later on every request.
CREATE TABLE key_canary (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    sealed     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
