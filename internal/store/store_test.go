package store_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/payload"
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
	s, err := store.OpenSQLite(context.Background(), path, store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T, dbURL string) *store.Store {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), dbURL, store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestEncryptExistingRows writes personal data as version 0005 did — in clear, exports sealed with the
// ring — and migrates: without the key ring the migration refuses and changes nothing; with it every row
// is encrypted under its request's data key and reads back unchanged.
func TestEncryptExistingRows(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dsrflow.db")
		testEncryptExisting(t, func(t *testing.T, keys *payload.KeyRing) *store.Store {
			var opts []store.Option
			if keys != nil {
				opts = append(opts, store.WithKeys(keys))
			}
			s, err := store.OpenSQLite(context.Background(), path, opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dbURL := storetest.FreshPostgres(t, storetest.PostgresURL(t))
		testEncryptExisting(t, func(t *testing.T, keys *payload.KeyRing) *store.Store {
			var opts []store.Option
			if keys != nil {
				opts = append(opts, store.WithKeys(keys))
			}
			s, err := store.OpenPostgres(context.Background(), dbURL, opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

func testEncryptExisting(t *testing.T, open func(*testing.T, *payload.KeyRing) *store.Store) {
	ctx := context.Background()
	keys := storetest.Keys(t, "")
	old := open(t, nil)
	if err := old.MigrateTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	db := old.UnsafeDB()
	now := time.Now()
	at := any(now)
	if old.Dialect() == store.SQLite {
		at = now.UnixMicro()
	}
	sealedExport, err := keys.Seal([]byte("PK export of Jane Doe"), "export:req_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO requests (id, type, status, received_at, due_at, updated_at) VALUES (?, 'access', 'completed', ?, ?, ?)`, []any{"req_1", at, at, at}},
		{`INSERT INTO request_details (request_id, identity, details) VALUES (?, ?, ?)`, []any{"req_1", []byte(`{"email":"jane.doe@example.com"}`), []byte(`{}`)}},
		{`INSERT INTO job_records (job_id, request_id, records) VALUES (?, ?, ?)`, []any{"req_1:crm:access", "req_1", []byte(`[{"name":"Jane Doe"}]`)}},
		{`INSERT INTO exports (request_id, data, created_at, expires_at) VALUES (?, ?, ?, ?)`, []any{"req_1", sealedExport, at, at}},
		{`INSERT INTO outbox (id, request_id, kind, to_addr, subject, body, created_at) VALUES (?, ?, 'code', ?, ?, ?, ?)`, []any{"m1", "req_1", "jane.doe@example.com", "Your code", "Dear Jane Doe", at}},
		{`INSERT INTO decisions (request_id, reviewer, decision, reason, at) VALUES (?, 'legal-1', 'reject', ?, ?)`, []any{"req_1", "Jane Doe has grounds", at}},
	} {
		if _, err := db.Exec(db.Rebind(q.sql), q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}

	err = old.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "DSR_MASTER_KEYS") {
		t.Fatalf("Migrate without the key ring = %v, want a refusal naming DSR_MASTER_KEYS", err)
	}
	applied, err := old.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 5 {
		t.Fatalf("after the refusal the schema is at %d, want 5", len(applied))
	}

	s := open(t, keys)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT identity FROM request_details`, `SELECT records FROM job_records`, `SELECT data FROM exports`,
		`SELECT to_addr FROM outbox`, `SELECT subject FROM outbox`, `SELECT body FROM outbox`, `SELECT sealed FROM outbox`,
		`SELECT reason FROM decisions`, `SELECT sealed_reason FROM decisions`,
	} {
		var vals [][]byte
		if err := s.UnsafeDB().Select(&vals, q); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if strings.Contains(string(v), "Jane") || strings.Contains(string(v), "jane") {
				t.Fatalf("%s: still clear after migration", q)
			}
		}
	}
	d, err := s.GetRequestDetail(ctx, "req_1")
	if err != nil || string(d.Identity) != `{"email":"jane.doe@example.com"}` {
		t.Fatalf("detail = %s, %v", d.Identity, err)
	}
	recs, err := s.ListJobRecords(ctx, "req_1")
	if err != nil || string(recs["req_1:crm:access"]) != `[{"name":"Jane Doe"}]` {
		t.Fatalf("records = %q, %v", recs, err)
	}
	e, err := s.GetExport(ctx, "req_1")
	if err != nil || string(e.Data) != "PK export of Jane Doe" {
		t.Fatalf("export = %q, %v", e.Data, err)
	}
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{RequestID: "req_1"})
	if err != nil || len(ms) != 1 || ms[0].To != "jane.doe@example.com" || ms[0].Body != "Dear Jane Doe" {
		t.Fatalf("outbox = %+v, %v", ms, err)
	}
	ds, err := s.ListDecisions(ctx, "req_1")
	if err != nil || len(ds) != 1 || ds[0].Reason != "Jane Doe has grounds" {
		t.Fatalf("decisions = %+v, %v", ds, err)
	}
}

// TestKeyRotation: requests written under one master key still read after a new key is put in front
// of it; new requests wrap their data keys with the new one; a ring without the old key cannot read
// the old requests.
func TestKeyRotation(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dsrflow.db")
		testKeyRotation(t, func(t *testing.T, keys *payload.KeyRing) *store.Store {
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
		testKeyRotation(t, func(t *testing.T, keys *payload.KeyRing) *store.Store {
			s, err := store.OpenPostgres(context.Background(), dbURL, store.WithKeys(keys))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

func testKeyRotation(t *testing.T, open func(*testing.T, *payload.KeyRing) *store.Store) {
	ctx := context.Background()
	oldSpec, newSpec := storetest.KeySpec("k1"), storetest.KeySpec("k2")
	put := func(s *store.Store, id string) {
		t.Helper()
		now := time.Now()
		if err := s.PutRequest(ctx, store.Request{ID: id, Type: "access", Status: "received", ReceivedAt: now, DueAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutRequestDetail(ctx, store.RequestDetail{RequestID: id, Identity: []byte("identity of " + id)}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(s *store.Store, id string) error {
		d, err := s.GetRequestDetail(ctx, id)
		if err == nil && string(d.Identity) != "identity of "+id {
			t.Fatalf("%s reads back %q", id, d.Identity)
		}
		return err
	}

	before := open(t, storetest.Keys(t, oldSpec))
	if err := before.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	put(before, "req_old")

	after := open(t, storetest.Keys(t, newSpec+","+oldSpec))
	put(after, "req_new")
	for _, id := range []string{"req_old", "req_new"} {
		if err := read(after, id); err != nil {
			t.Fatalf("after rotation, %s: %v", id, err)
		}
	}
	byKey, err := after.DataKeysByMasterKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if byKey["k1"] != 1 || byKey["k2"] != 1 {
		t.Fatalf("data keys by master key = %v, want one under k1 (old) and one under k2 (new)", byKey)
	}

	dropped := open(t, storetest.Keys(t, newSpec))
	if err := read(dropped, "req_new"); err != nil {
		t.Fatalf("new key alone, req_new: %v", err)
	}
	err = read(dropped, "req_old")
	if err == nil || !strings.Contains(err.Error(), "k1") {
		t.Fatalf("new key alone, req_old = %v, want an error naming the missing key k1", err)
	}
}

// TestPgDumpHoldsNoPersonalData fills a PostgreSQL store with the demo persona's request through the
// store API, and greps a pg_dump of the whole database for her email, name and phone, clear, hex (how
// bytea is dumped) and base64. As a control, the same dump of a store at schema version 5 holding
// her data as that version did finds it; after migration 0006 it does not.
func TestPgDumpHoldsNoPersonalData(t *testing.T) {
	pgDump, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	if len(pgDump) == 0 {
		if path, err := exec.LookPath("pg_dump"); err == nil {
			pgDump = []string{path}
		}
	}
	dbURL := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	if len(pgDump) == 0 {
		t.Fatal("pg_dump not found (/usr/lib/postgresql/*/bin or PATH)")
	}
	dump := func() string {
		t.Helper()
		out, err := exec.Command(pgDump[len(pgDump)-1], "--no-owner", "-d", dbURL).Output()
		if err != nil {
			t.Fatalf("pg_dump: %v", err)
		}
		return string(out)
	}
	ctx := context.Background()
	keys := storetest.Keys(t, "")
	s, err := store.OpenPostgres(ctx, dbURL, store.WithKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Version 5 kept the detail in clear: the dump shows it (the grep can fail).
	if err := s.MigrateTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := s.UnsafeDB().Exec(`INSERT INTO requests (id, type, status, received_at, due_at, updated_at) VALUES ('req_legacy', 'access', 'completed', $1, $1, $1)`, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UnsafeDB().Exec(`INSERT INTO request_details (request_id, identity, details) VALUES ('req_legacy', $1, '')`, []byte(`{"email":"jane.doe@example.com","name":"Jane Doe","phone":"+47 912 34 567"}`)); err != nil {
		t.Fatal(err)
	}
	before := dump()
	found := 0
	for _, needle := range storetest.PersonaNeedles() {
		if strings.Contains(before, needle) {
			found++
		}
	}
	if found == 0 {
		t.Fatal("control: the dump of a version-5 store does not show the clear detail; the grep below proves nothing")
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	closed := now.Add(-time.Hour)
	storetest.FillRequest(t, s, "req_full", &closed)
	storetest.FillRequest(t, s, "req_shredded", &closed)
	if _, err := s.ShredRequest(ctx, "req_shredded", now); err != nil {
		t.Fatal(err)
	}
	if d, err := s.GetRequestDetail(ctx, "req_legacy"); err != nil || !strings.Contains(string(d.Identity), "Jane Doe") {
		t.Fatalf("the migrated detail: %s %v", d.Identity, err)
	}
	after := dump()
	if !strings.Contains(after, "req_full") {
		t.Fatal("the dump lacks the request")
	}
	for what, needle := range storetest.PersonaNeedles() {
		if strings.Contains(after, needle) {
			t.Errorf("pg_dump holds the persona's %s", what)
		}
	}
}
