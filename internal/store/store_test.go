package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "dsrflow.db"))
	})
}

func TestPostgres(t *testing.T) {
	admin := storetest.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) *store.Store { return openPostgres(t, storetest.FreshPostgres(t, admin)) })
}

// TestSeveralHandles runs migrators and audit writers through separate Stores on one database, as
// separate processes would: each has its own pool, so only database-level locking keeps them apart.
func TestSeveralHandles(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dsrflow.db")
		testSeveralHandles(t, func(t *testing.T) *store.Store { return openSQLite(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		dbURL := storetest.FreshPostgres(t, storetest.PostgresURL(t))
		testSeveralHandles(t, func(t *testing.T) *store.Store { return openPostgres(t, dbURL) })
	})
}

func testSeveralHandles(t *testing.T, open func(*testing.T) *store.Store) {
	ctx := context.Background()
	const handles, each = 4, 25
	stores := make([]*store.Store, handles)
	for i := range stores {
		stores[i] = open(t)
	}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			if err := s.Migrate(ctx); err != nil {
				t.Errorf("Migrate: %v", err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, s := range stores {
		wg.Go(func() {
			for j := range each {
				if _, err := s.AppendAudit(ctx, store.AuditEvent{RequestID: fmt.Sprintf("req_%d", i), Action: "step", Reason: fmt.Sprint(j)}); err != nil {
					t.Errorf("handle %d: AppendAudit: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	rep, err := stores[0].VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Checked != handles*each {
		t.Fatalf("VerifyAudit = %+v, want OK with %d events", rep, handles*each)
	}
}

func openSQLite(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T, dbURL string) *store.Store {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
