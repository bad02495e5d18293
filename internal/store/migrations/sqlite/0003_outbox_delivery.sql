-- The same schema as migrations/postgres/0003_outbox_delivery.sql: times are INTEGER microseconds since
-- the Unix epoch (UTC).
--
-- claimed_until: a dispatcher that claimed the message holds it until then, so several workers never
-- send the same message at once; a claim that ran out (a worker that died) can be taken again.
-- next_attempt_at: after a failed attempt, not before then (exponential backoff). NULL on both means
-- the message is due now: every message queued before this migration, and every new one.
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER;
