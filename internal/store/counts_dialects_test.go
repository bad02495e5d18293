package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

func TestCountOpenDue(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testCountOpenDue(t, openSQLite(t, filepath.Join(t.TempDir(), "dsrflow.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		testCountOpenDue(t, openPostgres(t, storetest.FreshPostgres(t, storetest.PostgresURL(t))))
	})
}

func testCountOpenDue(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	soon := now.Add(7 * 24 * time.Hour)
	if overdue, dueSoon, err := s.CountOpenDue(ctx, now, soon); err != nil || overdue != 0 || dueSoon != 0 {
		t.Fatalf("CountOpenDue on no requests = %d, %d, %v; want 0, 0", overdue, dueSoon, err)
	}
	closed := now.Add(-time.Hour)
	for _, r := range []store.Request{
		{ID: "dsr_overdue", DueAt: now.Add(-24 * time.Hour)},
		{ID: "dsr_due_now", DueAt: now}, // not overdue: overdue is due strictly before now
		{ID: "dsr_soon", DueAt: now.Add(6 * 24 * time.Hour)},
		{ID: "dsr_later", DueAt: soon},
		{ID: "dsr_closed_overdue", DueAt: now.Add(-48 * time.Hour), ClosedAt: &closed},
	} {
		r.Type, r.Status, r.ReceivedAt = "access", "received", now.Add(-30*24*time.Hour)
		if err := s.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	overdue, dueSoon, err := s.CountOpenDue(ctx, now, soon)
	if err != nil {
		t.Fatal(err)
	}
	if overdue != 1 || dueSoon != 3 {
		t.Errorf("CountOpenDue = %d overdue, %d due soon; want 1, 3", overdue, dueSoon)
	}
}
