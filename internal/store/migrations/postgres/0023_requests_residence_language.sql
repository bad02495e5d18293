-- The subject's country of residence (the supervisory authority they are told about, GDPR Art. 77) and
-- language, set at intake; '' in requests recorded before. Neither is personal data on its own.
ALTER TABLE requests ADD COLUMN residence TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN language TEXT NOT NULL DEFAULT '';
