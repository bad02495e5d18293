-- The console finds a subject's requests, open or closed, by the keyed hash of the email.
CREATE INDEX requests_subject ON requests (subject_key, due_at, id);
-- The dashboard reads the requests closed in the last year.
CREATE INDEX requests_closed ON requests (closed_at) WHERE closed_at IS NOT NULL;
