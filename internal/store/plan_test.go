package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestListRequestsPlan checks on SQLite (whose planner is deterministic on an empty table) that each
// filter of ListRequests is answered from an index rather than a scan of every request.
func TestListRequestsPlan(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		f     RequestFilter
		index string
	}{
		{"status", RequestFilter{Status: "received"}, "requests_status_due"},
		{"type", RequestFilter{Type: "access"}, "requests_type"},
		{"country", RequestFilter{Country: "DE"}, "requests_country"},
		{"open", RequestFilter{Open: true}, "requests_open_due"},
		{"open due before", RequestFilter{Open: true, DueBefore: due}, "requests_open_due"},
		{"status due before", RequestFilter{Status: "received", DueBefore: due}, "requests_status_due"},
	} {
		q, args := s.listRequestsQuery(c.f)
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
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
		got := strings.Join(details, "; ")
		if !strings.Contains(got, "USING INDEX "+c.index) {
			t.Errorf("%s: plan %q does not use index %s", c.name, got, c.index)
		}
	}
}
