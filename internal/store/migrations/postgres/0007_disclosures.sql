-- disclosures: the disclosure register of authority requests (police and other authorities), one row per
-- request, whatever its outcome, so that the transparency report counts refusals too. Each row refers to
-- its index row in requests (type 'disclosure'). It names the authority and the case, never the subjects:
-- their identities stay in the workflow's encrypted input; subjects is a count.
-- outcome: in_review | refused_no_order | refused_on_review | complied. categories are JSON arrays of
-- data categories; approvers a JSON array of reviewer ids.
CREATE TABLE disclosures (
    request_id            TEXT PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    authority             TEXT NOT NULL,
    country               TEXT NOT NULL,
    case_ref              TEXT NOT NULL,
    legal_basis           TEXT NOT NULL DEFAULT '',
    court_order           TEXT NOT NULL DEFAULT '',
    court                 TEXT NOT NULL DEFAULT '',
    order_date            TEXT NOT NULL DEFAULT '',
    categories_requested  TEXT NOT NULL DEFAULT '[]',
    categories_disclosed  TEXT NOT NULL DEFAULT '[]',
    subjects              INTEGER NOT NULL CHECK (subjects >= 0),
    outcome               TEXT NOT NULL CHECK (outcome IN ('in_review', 'refused_no_order', 'refused_on_review', 'complied')),
    approvers             TEXT NOT NULL DEFAULT '[]',
    gag_until             TEXT NOT NULL DEFAULT '',
    received_at           TIMESTAMPTZ NOT NULL,
    decided_at            TIMESTAMPTZ,
    disclosed_at          TIMESTAMPTZ
);
CREATE INDEX disclosures_received ON disclosures (received_at, country);
