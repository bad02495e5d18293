-- The console finds a subject's requests, open or closed, by the keyed hash of the email. (The
-- dashboard's closed requests use requests_closed from 0006.)
CREATE INDEX requests_subject ON requests (subject_key, due_at, id);
