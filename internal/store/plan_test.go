package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQueryPlans checks on SQLite (whose planner is deterministic on an empty table) that every lookup
// is answered from an index, or the index of the table's primary key, rather than a scan of the table.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	type plan struct {
		name  string
		q     string
		args  []any
		index string
	}
	list := func(name string, f RequestFilter, index string) plan {
		q, args := s.listRequestsQuery(f)
		return plan{"list " + name, q, args, "USING INDEX " + index}
	}
	for _, c := range []plan{
		list("status", RequestFilter{Status: "received"}, "requests_status_due"),
		list("type", RequestFilter{Type: "access"}, "requests_type"),
		list("country", RequestFilter{Country: "DE"}, "requests_country"),
		list("open", RequestFilter{Open: true}, "requests_open_due"),
		list("open due before", RequestFilter{Open: true, DueBefore: now}, "requests_open_due"),
		list("status due before", RequestFilter{Status: "received", DueBefore: now}, "requests_status_due"),
		list("overdue", RequestFilter{Overdue: true, Now: now}, "requests_open_due"),
		{"count open due", s.rebind(countOpenDueQuery), []any{s.timeArg(now), s.timeArg(now.Add(7 * 24 * time.Hour))}, "INDEX requests_open_due"},
		{"find open request", s.findOpenRequestQuery(), []any{"k", "access"}, "INDEX requests_open_subject"},
		{"detail", `SELECT identity FROM request_details WHERE request_id = ?`, []any{"r"}, "INDEX sqlite_autoindex_request_details_1"},
		{"code", `SELECT hash FROM verification_codes WHERE request_id = ?`, []any{"r"}, "INDEX sqlite_autoindex_verification_codes_1"},
		{"jobs", listJobsQuery, []any{"r"}, "INDEX jobs_request"},
		{"job stats", jobStatsSinceQuery, []any{int64(0)}, "INDEX jobs_updated"},
		{"job records", listJobRecordsQuery, []any{"r"}, "INDEX job_records_request"},
		{"decisions", listDecisionsQuery, []any{"r"}, "INDEX decisions_request_at"},
		{"export", `SELECT data FROM exports WHERE request_id = ?`, []any{"r"}, "INDEX sqlite_autoindex_exports_1"},
		{"data key", dataKeyQuery, []any{"r"}, "INDEX sqlite_autoindex_data_keys_1"},
		{"expired records", expiredRecordsQuery, []any{int64(0), 100}, "INDEX requests_closed"},
		{"outbox of a request", `SELECT id FROM outbox WHERE request_id = ? AND sent_at IS NULL`, []any{"r"}, "INDEX outbox_request"},
	} {
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+c.q, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var details []string
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
				t.Fatal(err)
			}
			details = append(details, detail)
		}
		rows.Close()
		if got := strings.Join(details, "; "); !strings.Contains(got, c.index) {
			t.Errorf("%s: plan %q does not contain %q", c.name, got, c.index)
		}
	}
}
