package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// TestTwoFrontDoorsOneSubject is issue 13 (4): two front doors, each with its own store handle, record a
// request for the same subject and type at the same moment. Exactly one wins; the other gets ECONFLICT
// naming the winner, and the limits they count are one count.
func TestTwoFrontDoorsOneSubject(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dsrflow.db")
		testTwoFrontDoors(t, func(t *testing.T) *store.Store { return openSQLite(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		dbURL := storetest.FreshPostgres(t, storetest.PostgresURL(t))
		testTwoFrontDoors(t, func(t *testing.T) *store.Store { return openPostgres(t, dbURL) })
	})
}

func testTwoFrontDoors(t *testing.T, open func(*testing.T) *store.Store) {
	ctx := context.Background()
	a, b := open(t), open(t)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		key := fmt.Sprintf("key-%d", round)
		ids := []string{fmt.Sprintf("dsr_%d_a", round), fmt.Sprintf("dsr_%d_b", round)}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range []*store.Store{a, b} {
			wg.Go(func() {
				<-start
				errs[i] = s.CreateRequest(ctx, storetest.NewIntake(ids[i], "erasure", key),
					store.RequestDetail{RequestID: ids[i], Identity: []byte(`{"email":"x@example.com"}`)}, []byte(`{}`))
			})
		}
		close(start)
		wg.Wait()
		winner, loser := 0, 1
		if errs[0] != nil {
			winner, loser = 1, 0
		}
		if errs[winner] != nil {
			t.Fatalf("round %d: both failed: %v, %v", round, errs[0], errs[1])
		}
		e, ok := errs[loser].(*dsrflow.Error)
		if !ok || e.Code != dsrflow.ECONFLICT || e.Fields["existing_id"] != ids[winner] || !strings.Contains(e.Message, ids[winner]) {
			t.Fatalf("round %d: loser got %v, want ECONFLICT naming %s", round, errs[loser], ids[winner])
		}
		rows, err := a.ListRequests(ctx, store.RequestFilter{Open: true, SubjectKey: key})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("round %d: %d open requests for one subject, want 1", round, len(rows))
		}
	}

	now := time.Date(2026, 5, 1, 10, 0, 0, 1, time.UTC)
	var wg sync.WaitGroup
	for i, s := range []*store.Store{a, b, a, b} {
		wg.Go(func() {
			for range 10 {
				if _, err := s.CountHit(ctx, "client", time.Hour, now.Add(time.Duration(i)*time.Second)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n, err := b.CountHit(ctx, "client", time.Hour, now); err != nil || n != 41 {
		t.Fatalf("41st hit over two handles counted %d (%v)", n, err)
	}
}

// TestMigrationRefusesExistingDuplicates: a store where two front doors already made duplicate open
// requests is not silently "fixed": migration 0009 refuses, naming the later request, and succeeds once
// it is closed.
func TestMigrationRefusesExistingDuplicates(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testMigrationDuplicates(t, openSQLite(t, filepath.Join(t.TempDir(), "dsrflow.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		testMigrationDuplicates(t, openPostgres(t, storetest.FreshPostgres(t, storetest.PostgresURL(t))))
	})
}

func testMigrationDuplicates(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if err := s.MigrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	first := storetest.NewIntake("dsr_first", "access", "key-dup")
	later := storetest.NewIntake("dsr_later", "access", "key-dup")
	later.ReceivedAt = later.ReceivedAt.Add(time.Second)
	for _, r := range []store.Request{first, later, storetest.NewIntake("dsr_other", "access", "key-other")} {
		if err := s.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Migrate(ctx)
	if dsrflow.ErrorCode(err) != dsrflow.ECONFLICT || !strings.Contains(err.Error(), "dsr_later") || strings.Contains(err.Error(), "dsr_first") ||
		!strings.Contains(err.Error(), "starter cancel") {
		t.Fatalf("Migrate with duplicates = %v, want ECONFLICT naming dsr_later and what to do", err)
	}
	if err := s.CheckSchema(ctx); err == nil {
		t.Fatal("the refused migration was recorded")
	}
	if err := s.SetRequestStatus(ctx, "dsr_later", "canceled", later.ReceivedAt.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after closing the duplicate: %v", err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
}
