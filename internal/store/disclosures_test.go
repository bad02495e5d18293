package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// TestDisclosureCasesAtRest reads the disclosure register as someone with a copy of the database
// would: the authority, case reference, legal basis, court order and court of a case recorded before
// migration 0011 and of one recorded after are nowhere in clear, and read back through the store.
func TestDisclosureCasesAtRest(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dsrflow.db")
		testDisclosureCasesAtRest(t, func(t *testing.T, keys *payload.KeyRing) *store.Store {
			s, err := store.OpenSQLite(context.Background(), path, store.WithKeys(keys))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dbURL := storetest.FreshPostgres(t, storetest.PostgresURL(t))
		testDisclosureCasesAtRest(t, func(t *testing.T, keys *payload.KeyRing) *store.Store {
			s, err := store.OpenPostgres(context.Background(), dbURL, store.WithKeys(keys))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

func testDisclosureCasesAtRest(t *testing.T, open func(*testing.T, *payload.KeyRing) *store.Store) {
	ctx := context.Background()
	s := open(t, storetest.Keys(t, ""))
	if err := s.MigrateTo(ctx, 8); err != nil { // 0001-0008: the register as 0007 made it
		t.Fatal(err)
	}
	db := s.UnsafeDB()
	now := time.Now().UTC()
	at := any(now)
	if s.Dialect() == store.SQLite {
		at = now.UnixMicro()
	}
	secrets := []string{"Oslo police district", "2026/0042", "Criminal Procedure Act s. 210", "TOSL-2026-42", "Oslo District Court"}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO requests (id, type, status, received_at, due_at, updated_at) VALUES (?, 'disclosure', 'in_review', ?, ?, ?)`, []any{"dsr_old", at, at, at}},
		{`INSERT INTO disclosures (request_id, authority, country, case_ref, legal_basis, court_order, court, order_date, subjects, outcome, received_at)
			VALUES (?, ?, 'NO', ?, ?, ?, ?, '2026-05-01', 1, 'in_review', ?)`, []any{"dsr_old", secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], at}},
		{`INSERT INTO requests (id, type, status, received_at, due_at, updated_at) VALUES (?, 'disclosure', 'in_review', ?, ?, ?)`, []any{"dsr_new", at, at, at}},
	} {
		if _, err := db.Exec(db.Rebind(q.sql), q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDisclosure(ctx, store.Disclosure{RequestID: "dsr_new", Authority: secrets[0], Country: "NO", CaseRef: "2026/0043",
		LegalBasis: secrets[2], CourtOrder: "TOSL-2026-43", Court: secrets[4], OrderDate: "2026-05-02", Subjects: 2,
		Outcome: store.DisclosureInReview, ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}

	var rows []map[string]any
	r, err := db.Queryx(`SELECT * FROM disclosures`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		row := map[string]any{}
		if err := r.MapScan(row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	r.Close()
	if len(rows) != 2 {
		t.Fatalf("%d register rows, want 2", len(rows))
	}
	for _, row := range rows {
		for col, v := range row {
			var text string
			switch v := v.(type) {
			case []byte:
				text = string(v)
			case string:
				text = v
			}
			for _, secret := range append(secrets, "2026/0043", "TOSL-2026-43") {
				if strings.Contains(text, secret) {
					t.Errorf("column %s holds %q in clear", col, secret)
				}
			}
		}
	}

	old, err := s.GetDisclosure(ctx, "dsr_old")
	if err != nil || old.Authority != secrets[0] || old.CaseRef != secrets[1] || old.LegalBasis != secrets[2] || old.CourtOrder != secrets[3] || old.Court != secrets[4] || old.Country != "NO" {
		t.Fatalf("the migrated case reads %+v, %v", old, err)
	}
	list, err := s.ListDisclosures(ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || len(list) != 2 || list[1].CaseRef != "2026/0043" && list[0].CaseRef != "2026/0043" {
		t.Fatalf("ListDisclosures = %+v, %v", list, err)
	}
	report, err := s.TransparencyReport(ctx, now.Year())
	if err != nil || len(report) != 1 || report[0].Received != 2 {
		t.Fatalf("transparency report = %+v, %v", report, err)
	}
}
