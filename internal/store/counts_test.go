package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCountOpenDuePlan checks on SQLite that CountOpenDue reads the requests_open_due index range rather
// than every request.
func TestCountOpenDuePlan(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+s.rebind(countOpenDueQuery), s.timeArg(now), s.timeArg(now.Add(7*24*time.Hour)))
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
	if plan := strings.Join(details, "; "); !strings.Contains(plan, "INDEX requests_open_due") {
		t.Errorf("plan %q does not use index requests_open_due", plan)
	}
}
