// Package storetest is the conformance suite for store.Store: every dialect must pass the same tests.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Run runs the suite. open must return a Store on a new, empty, unmigrated database, opened with a key
// ring whose active key is "test-1" (Keys), and close it (and remove the database) when the test ends.
func Run(t *testing.T, open func(t *testing.T) *store.Store) {
	migrated := func(t *testing.T) *store.Store {
		t.Helper()
		s := open(t)
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	}
	t.Run("Migrate", func(t *testing.T) { testMigrate(t, open) })
	t.Run("MigrateConcurrent", func(t *testing.T) { testMigrateConcurrent(t, open) })
	t.Run("Ping", func(t *testing.T) { testPing(t, migrated(t)) })
	t.Run("Request", func(t *testing.T) { testRequest(t, migrated(t)) })
	t.Run("RequestStatus", func(t *testing.T) { testRequestStatus(t, migrated(t)) })
	t.Run("ListRequests", func(t *testing.T) { testListRequests(t, migrated(t)) })
	t.Run("AuditChain", func(t *testing.T) { testAuditChain(t, migrated(t)) })
	t.Run("AuditIdempotencyKey", func(t *testing.T) { testAuditKey(t, migrated(t)) })
	t.Run("AuditConcurrent", func(t *testing.T) { testAuditConcurrent(t, migrated(t)) })
	t.Run("AuditAppendOnly", func(t *testing.T) { testAuditAppendOnly(t, migrated(t)) })
	t.Run("AuditTamperChangedRow", func(t *testing.T) { testTamperChanged(t, migrated(t)) })
	t.Run("AuditTamperDeletedRow", func(t *testing.T) { testTamperDeleted(t, migrated(t)) })
	t.Run("AuditTamperRewrittenRow", func(t *testing.T) { testTamperRewritten(t, migrated(t)) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, migrated(t)) })
	t.Run("OutboxList", func(t *testing.T) { testOutboxList(t, migrated(t)) })
	runWorkflow(t, migrated)
	runDelivery(t, migrated)
	t.Run("Tokens", func(t *testing.T) { testTokens(t, migrated(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, migrated(t)) })
	t.Run("KeyCanary", func(t *testing.T) { testKeyCanary(t, migrated(t)) })
	t.Run("Disclosures", func(t *testing.T) { testDisclosures(t, migrated(t)) })
	t.Run("TransparencyReport", func(t *testing.T) { testTransparencyReport(t, migrated(t)) })
	t.Run("JobClaims", func(t *testing.T) { testJobClaims(t, migrated(t)) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, migrated(t)) })
	t.Run("ConnectorSlots", func(t *testing.T) { testConnectorSlots(t, migrated(t)) })
	t.Run("ConnectorRate", func(t *testing.T) { testConnectorRate(t, migrated(t)) })
	t.Run("Suppressions", func(t *testing.T) { testSuppressions(t, migrated(t)) })
	t.Run("Refusals", func(t *testing.T) { testRefusals(t, migrated(t)) })
	t.Run("RequestStats", func(t *testing.T) { testRequestStats(t, migrated(t)) })
	t.Run("Kept", func(t *testing.T) { testKept(t, migrated(t)) })
	t.Run("Routed", func(t *testing.T) { testRouted(t, migrated(t)) })
	runVault(t, migrated)
	runIntake(t, migrated)
}

var ctx = context.Background()

// ts is a fixed time with nanoseconds and a non-UTC zone, to show the store returns UTC microseconds.
var ts = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

// us is what the store returns for t.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr(t time.Time) *time.Time { return &t }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := dsrflow.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testMigrate(t *testing.T, open func(*testing.T) *store.Store) {
	s := open(t)
	if _, err := s.ListRequests(ctx, store.RequestFilter{}); err == nil {
		t.Fatal("ListRequests before Migrate succeeded; open must return an empty database")
	}
	must(t, s.Migrate(ctx))
	first, err := s.Migrations(ctx)
	must(t, err)
	if len(first) == 0 || first[0].Version != 1 || first[0].Name != "init" || first[0].AppliedAt.IsZero() {
		t.Fatalf("migrations after first Migrate = %+v, want 0001 init first", first)
	}
	for i, m := range first {
		if i > 0 && m.Version <= first[i-1].Version {
			t.Fatalf("migration %d has version %d, after %d", i, m.Version, first[i-1].Version)
		}
	}
	must(t, s.Migrate(ctx))
	second, err := s.Migrations(ctx)
	must(t, err)
	if fmt.Sprint(second) != fmt.Sprint(first) {
		t.Fatalf("second Migrate changed schema_migrations:\n%v\n%v", first, second)
	}
	if _, err := s.ListRequests(ctx, store.RequestFilter{}); err != nil {
		t.Fatalf("ListRequests after Migrate: %v", err)
	}
}

func testMigrateConcurrent(t *testing.T, open func(*testing.T) *store.Store) {
	s := open(t)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	ms, err := s.Migrations(ctx)
	must(t, err)
	for i, m := range ms {
		if i > 0 && m.Version <= ms[i-1].Version {
			t.Fatalf("migrations = %+v, want each version once", ms)
		}
	}
	if len(ms) == 0 {
		t.Fatal("no migrations recorded")
	}
}

func testPing(t *testing.T, s *store.Store) {
	must(t, s.Ping(ctx))
	if d := s.Dialect(); d != store.Postgres && d != store.SQLite {
		t.Fatalf("Dialect() = %q", d)
	}
}

func testRequest(t *testing.T, s *store.Store) {
	r := store.Request{
		ID: "req_1", Type: "access", Status: "received", Country: "DE", Jurisdiction: "gdpr",
		ReceivedAt: ts, DueAt: ts.AddDate(0, 1, 0), ExtendedDueAt: ptr(ts.AddDate(0, 3, 0)),
		UpdatedAt: ts.Add(time.Minute),
	}
	must(t, s.PutRequest(ctx, r))
	got, err := s.GetRequest(ctx, "req_1")
	must(t, err)
	want := r
	want.ReceivedAt, want.DueAt, want.UpdatedAt = us(r.ReceivedAt), us(r.DueAt), us(r.UpdatedAt)
	want.ExtendedDueAt = ptr(us(*r.ExtendedDueAt))
	assertRequest(t, got, want)
	if got.DueAt.Location() != time.UTC {
		t.Errorf("DueAt location = %v, want UTC", got.DueAt.Location())
	}

	// Upsert: the same ID replaces every field.
	r2 := store.Request{
		ID: "req_1", Type: "erasure", Status: "completed", Country: "FR", Jurisdiction: "gdpr",
		ReceivedAt: ts, DueAt: ts.AddDate(0, 2, 0), ClosedAt: ptr(ts.Add(time.Hour)), UpdatedAt: ts.Add(time.Hour),
	}
	must(t, s.PutRequest(ctx, r2))
	got, err = s.GetRequest(ctx, "req_1")
	must(t, err)
	want = r2
	want.ReceivedAt, want.DueAt, want.UpdatedAt, want.ClosedAt = us(ts), us(r2.DueAt), us(r2.UpdatedAt), ptr(us(*r2.ClosedAt))
	assertRequest(t, got, want)
	all, err := s.ListRequests(ctx, store.RequestFilter{})
	must(t, err)
	if len(all) != 1 {
		t.Fatalf("after upsert ListRequests has %d requests, want 1", len(all))
	}

	_, err = s.GetRequest(ctx, "req_missing")
	wantCode(t, err, dsrflow.ENOTFOUND)
	wantCode(t, s.PutRequest(ctx, store.Request{ID: "req_2", Type: "access"}), dsrflow.EINVALID)
}

func assertRequest(t *testing.T, got, want store.Request) {
	t.Helper()
	f := func(r store.Request) string {
		p := func(t *time.Time) string {
			if t == nil {
				return "nil"
			}
			return t.Format(time.RFC3339Nano)
		}
		return fmt.Sprintf("%s %s %s %s %s received=%s due=%s ext=%s closed=%s updated=%s",
			r.ID, r.Type, r.Status, r.Country, r.Jurisdiction, r.ReceivedAt.Format(time.RFC3339Nano),
			r.DueAt.Format(time.RFC3339Nano), p(r.ExtendedDueAt), p(r.ClosedAt), r.UpdatedAt.Format(time.RFC3339Nano))
	}
	if f(got) != f(want) {
		t.Fatalf("request\n got  %s\n want %s", f(got), f(want))
	}
}

func testRequestStatus(t *testing.T, s *store.Store) {
	must(t, s.PutRequest(ctx, store.Request{ID: "req_1", Type: "access", Status: "received", ReceivedAt: ts, DueAt: ts.AddDate(0, 1, 0)}))
	at := ts.Add(48 * time.Hour)
	must(t, s.SetRequestStatus(ctx, "req_1", "verifying", at, false))
	got, err := s.GetRequest(ctx, "req_1")
	must(t, err)
	if got.Status != "verifying" || got.ClosedAt != nil || !got.UpdatedAt.Equal(us(at)) {
		t.Fatalf("after verifying: status %q closed %v updated %v", got.Status, got.ClosedAt, got.UpdatedAt)
	}
	closeAt := at.Add(time.Hour)
	must(t, s.SetRequestStatus(ctx, "req_1", "completed", closeAt, true))
	got, err = s.GetRequest(ctx, "req_1")
	must(t, err)
	if got.Status != "completed" || got.ClosedAt == nil || !got.ClosedAt.Equal(us(closeAt)) || got.ClosedAt.Location() != time.UTC {
		t.Fatalf("after completed: status %q closed %v", got.Status, got.ClosedAt)
	}
	open, err := s.ListRequests(ctx, store.RequestFilter{Open: true})
	must(t, err)
	if len(open) != 0 {
		t.Fatalf("closed request listed as open: %+v", open)
	}
	wantCode(t, s.SetRequestStatus(ctx, "req_missing", "completed", at, true), dsrflow.ENOTFOUND)
}

func testListRequests(t *testing.T, s *store.Store) {
	day := func(d int) time.Time { return time.Date(2026, 5, d, 12, 0, 0, 0, time.UTC) }
	reqs := []store.Request{
		{ID: "r5", Type: "access", Status: "fulfilling", Country: "DE", DueAt: day(5)},
		{ID: "r1", Type: "erasure", Status: "received", Country: "FR", DueAt: day(1)},
		{ID: "r3b", Type: "access", Status: "received", Country: "DE", DueAt: day(3)},
		{ID: "r3a", Type: "access", Status: "received", Country: "FR", DueAt: day(3)},
		{ID: "r2", Type: "access", Status: "completed", Country: "DE", DueAt: day(2), ClosedAt: ptr(day(1))},
		{ID: "r4", Type: "erasure", Status: "received", Country: "DE", DueAt: day(4)},
	}
	for _, r := range reqs {
		r.Jurisdiction, r.ReceivedAt = "gdpr", day(1).AddDate(0, -1, 0)
		must(t, s.PutRequest(ctx, r))
	}
	ids := func(f store.RequestFilter) string {
		t.Helper()
		rs, err := s.ListRequests(ctx, f)
		must(t, err)
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		name string
		f    store.RequestFilter
		want string
	}{
		{"all by due then id", store.RequestFilter{}, "r1,r2,r3a,r3b,r4,r5"},
		{"status", store.RequestFilter{Status: "received"}, "r1,r3a,r3b,r4"},
		{"type", store.RequestFilter{Type: "erasure"}, "r1,r4"},
		{"country", store.RequestFilter{Country: "DE"}, "r2,r3b,r4,r5"},
		{"open", store.RequestFilter{Open: true}, "r1,r3a,r3b,r4,r5"},
		{"due before is strict", store.RequestFilter{DueBefore: day(3)}, "r1,r2"},
		{"combined", store.RequestFilter{Status: "received", Country: "DE", Open: true, DueBefore: day(5)}, "r3b,r4"},
		{"limit", store.RequestFilter{Limit: 2}, "r1,r2"},
		{"nothing", store.RequestFilter{Country: "XX"}, ""},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}

	for i := range 105 {
		must(t, s.PutRequest(ctx, store.Request{ID: fmt.Sprintf("bulk%03d", i), Type: "access", Status: "bulk", ReceivedAt: day(1), DueAt: day(6)}))
	}
	rs, err := s.ListRequests(ctx, store.RequestFilter{Status: "bulk"})
	must(t, err)
	if len(rs) != 100 {
		t.Errorf("default limit returned %d requests, want 100", len(rs))
	}
}

func testAuditChain(t *testing.T, s *store.Store) {
	rep, err := s.VerifyAudit(ctx)
	must(t, err)
	if !rep.OK || rep.Checked != 0 || rep.FirstBroken != 0 {
		t.Fatalf("empty chain: %+v, want OK", rep)
	}

	var appended []store.AuditEvent
	for i := range 6 {
		req := []string{"req_a", "req_b"}[i%2]
		e, err := s.AppendAudit(ctx, store.AuditEvent{
			At: ts.Add(time.Duration(i) * time.Second), RequestID: req, Action: "status_changed",
			Actor: "agent:7", Reason: fmt.Sprintf("step %d", i), Detail: map[string]string{"n": fmt.Sprint(i), "connector": "crm"},
			Seq: 99, PrevHash: "forged", Hash: "forged", // ignored
		})
		must(t, err)
		appended = append(appended, e)
	}
	prev := ""
	for i, e := range appended {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d got seq %d", i, e.Seq)
		}
		if e.PrevHash != prev || len(e.Hash) != 64 || e.Hash == prev {
			t.Fatalf("event %d: prev %q hash %q, previous hash %q", i, e.PrevHash, e.Hash, prev)
		}
		if e.Hash != store.HashEvent(e) {
			t.Fatalf("event %d: returned hash is not HashEvent of the event", i)
		}
		prev = e.Hash
	}

	got, err := s.ListAudit(ctx, "req_b")
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("ListAudit(req_b) = %d events, want 3", len(got))
	}
	for i, e := range got {
		want := appended[2*i+1]
		if e.Seq != want.Seq || !e.At.Equal(us(want.At)) || e.At.Location() != time.UTC || e.RequestID != "req_b" ||
			e.Action != want.Action || e.Actor != want.Actor || e.Reason != want.Reason ||
			fmt.Sprint(e.Detail) != fmt.Sprint(want.Detail) || e.PrevHash != want.PrevHash || e.Hash != want.Hash {
			t.Fatalf("ListAudit event %d\n got  %+v\n want %+v", i, e, want)
		}
	}
	none, err := s.ListAudit(ctx, "req_none")
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("ListAudit of unknown request = %d events", len(none))
	}

	rep, err = s.VerifyAudit(ctx)
	must(t, err)
	if !rep.OK || rep.Checked != 6 || rep.FirstBroken != 0 || rep.Problem != "" {
		t.Fatalf("VerifyAudit = %+v, want OK with 6 checked", rep)
	}
	_, err = s.AppendAudit(ctx, store.AuditEvent{RequestID: "req_a"})
	wantCode(t, err, dsrflow.EINVALID)
}

func testAuditKey(t *testing.T, s *store.Store) {
	first, err := s.AppendAudit(ctx, store.AuditEvent{At: ts, RequestID: "req_a", Action: "job_sent", Key: "job:req_a:crm:erase"})
	must(t, err)
	_, err = s.AppendAudit(ctx, store.AuditEvent{At: ts, RequestID: "req_a", Action: "other"})
	must(t, err)
	again, err := s.AppendAudit(ctx, store.AuditEvent{At: ts.Add(time.Hour), RequestID: "req_a", Action: "job_sent", Reason: "retry", Key: "job:req_a:crm:erase"})
	must(t, err)
	if again.Seq != first.Seq || again.Hash != first.Hash || again.Reason != "" || !again.At.Equal(first.At) {
		t.Fatalf("second append with the same key = %+v, want the first event %+v", again, first)
	}

	// Concurrent retries of one activity log once.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.AppendAudit(ctx, store.AuditEvent{At: ts, RequestID: "req_a", Action: "job_done", Key: "job:req_a:crm:done"}); err != nil {
				t.Errorf("concurrent keyed append: %v", err)
			}
		})
	}
	wg.Wait()
	evs, err := s.ListAudit(ctx, "req_a")
	must(t, err)
	if len(evs) != 3 {
		t.Fatalf("events after keyed appends = %d, want 3", len(evs))
	}
	if evs[0].Key != "job:req_a:crm:erase" || evs[1].Key != "" || evs[2].Key != "job:req_a:crm:done" {
		t.Fatalf("keys = %q %q %q", evs[0].Key, evs[1].Key, evs[2].Key)
	}
	rep, err := s.VerifyAudit(ctx)
	must(t, err)
	if !rep.OK || rep.Checked != 3 {
		t.Fatalf("VerifyAudit = %+v", rep)
	}
}

func testAuditConcurrent(t *testing.T, s *store.Store) {
	const writers, each = 20, 10
	var wg sync.WaitGroup
	seqs := make(chan int64, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e, err := s.AppendAudit(ctx, store.AuditEvent{
					RequestID: fmt.Sprintf("req_%02d", w), Action: "step", Detail: map[string]string{"i": fmt.Sprint(i)},
				})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				seqs <- e.Seq
			}
		})
	}
	wg.Wait()
	close(seqs)
	seen := map[int64]bool{}
	for q := range seqs {
		if seen[q] {
			t.Fatalf("seq %d assigned twice", q)
		}
		seen[q] = true
	}
	for q := int64(1); q <= writers*each; q++ {
		if !seen[q] {
			t.Fatalf("seq %d missing: seqs are not contiguous", q)
		}
	}
	rep, err := s.VerifyAudit(ctx)
	must(t, err)
	if !rep.OK || rep.Checked != writers*each {
		t.Fatalf("VerifyAudit after concurrent appends = %+v, want OK with %d checked", rep, writers*each)
	}
	for w := range writers {
		evs, err := s.ListAudit(ctx, fmt.Sprintf("req_%02d", w))
		must(t, err)
		if len(evs) != each {
			t.Fatalf("writer %d has %d events, want %d", w, len(evs), each)
		}
		for i, e := range evs {
			if e.Detail["i"] != fmt.Sprint(i) || (i > 0 && e.Seq <= evs[i-1].Seq) {
				t.Fatalf("writer %d event %d: %+v out of order", w, i, e)
			}
		}
	}
}

// appendN appends n events for one request and returns them.
func appendN(t *testing.T, s *store.Store, n int) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	for i := range n {
		e, err := s.AppendAudit(ctx, store.AuditEvent{
			At: ts.Add(time.Duration(i) * time.Minute), RequestID: "req_t", Action: "step", Actor: "system",
			Reason: fmt.Sprintf("reason %d", i+1), Detail: map[string]string{"i": fmt.Sprint(i + 1)},
		})
		must(t, err)
		out = append(out, e)
	}
	return out
}

func verifyBroken(t *testing.T, s *store.Store, seq int64, problem string) {
	t.Helper()
	rep, err := s.VerifyAudit(ctx)
	must(t, err)
	if rep.OK || rep.FirstBroken != seq || !strings.Contains(rep.Problem, problem) {
		t.Fatalf("VerifyAudit = %+v, want first broken seq %d with problem containing %q", rep, seq, problem)
	}
}

// exec runs raw SQL with '?' placeholders on the underlying database, as an attacker would.
func exec(s *store.Store, q string, args ...any) error {
	db := s.UnsafeDB()
	_, err := db.ExecContext(ctx, db.Rebind(q), args...)
	return err
}

// disableAppendOnly removes the append-only triggers, as someone with owner rights on the database can.
// DisableAppendOnly removes the append-only guard, as an attacker with database access would, so tests
// can tamper with the chain.
func DisableAppendOnly(t *testing.T, s *store.Store) {
	t.Helper()
	if s.Dialect() == store.Postgres {
		must(t, exec(s, `ALTER TABLE audit_events DISABLE TRIGGER USER`))
		return
	}
	must(t, exec(s, `DROP TRIGGER audit_events_no_update`))
	must(t, exec(s, `DROP TRIGGER audit_events_no_delete`))
}

func testAuditAppendOnly(t *testing.T, s *store.Store) {
	appendN(t, s, 3)
	wantRejected := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s on audit_events succeeded, want it rejected", what)
		}
		if !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s rejected with %q, want a message saying audit_events is append-only", what, err)
		}
	}
	wantRejected("UPDATE", exec(s, `UPDATE audit_events SET reason = 'x' WHERE seq = 2`))
	wantRejected("DELETE", exec(s, `DELETE FROM audit_events WHERE seq = 2`))
	wantRejected("DELETE all", exec(s, `DELETE FROM audit_events`))
	if s.Dialect() == store.Postgres {
		wantRejected("TRUNCATE", exec(s, `TRUNCATE audit_events`))
	}
	rep, err := s.VerifyAudit(ctx)
	must(t, err)
	if !rep.OK || rep.Checked != 3 {
		t.Fatalf("VerifyAudit after rejected changes = %+v, want OK with 3", rep)
	}
}

func testTamperChanged(t *testing.T, s *store.Store) {
	appendN(t, s, 10)
	DisableAppendOnly(t, s)
	must(t, exec(s, `UPDATE audit_events SET reason = ? WHERE seq = ?`, "nothing to see", 5))
	verifyBroken(t, s, 5, "hash mismatch")
}

func testTamperDeleted(t *testing.T, s *store.Store) {
	appendN(t, s, 10)
	DisableAppendOnly(t, s)
	must(t, exec(s, `DELETE FROM audit_events WHERE seq = ?`, 5))
	verifyBroken(t, s, 6, "gap")
}

// testTamperRewritten changes a row and recomputes its own hash: the row verifies alone, but the next
// event's link to it does not.
func testTamperRewritten(t *testing.T, s *store.Store) {
	evs := appendN(t, s, 10)
	DisableAppendOnly(t, s)
	e := evs[6] // seq 7
	e.Reason = "rewritten"
	e.Hash = store.HashEvent(e)
	must(t, exec(s, `UPDATE audit_events SET reason = ?, hash = ? WHERE seq = ?`, e.Reason, e.Hash, e.Seq))
	verifyBroken(t, s, 8, "prev_hash")
}

func testOutbox(t *testing.T, s *store.Store) {
	const addr = "subject@example.org"
	m := store.Message{ID: "msg_1", RequestID: "req_1", Kind: "verification_code", To: addr, Subject: "Your code", Body: "123456", CreatedAt: ts}
	got, err := s.EnqueueMessage(ctx, m)
	must(t, err)
	if got.ID != "msg_1" || got.To != addr || got.Body != "123456" || !got.CreatedAt.Equal(us(ts)) ||
		got.CreatedAt.Location() != time.UTC || got.SentAt != nil || got.Attempts != 0 || got.LastError != "" {
		t.Fatalf("EnqueueMessage = %+v", got)
	}

	// The same ID again returns the stored message and adds nothing.
	dup := m
	dup.Body, dup.CreatedAt = "654321", ts.Add(time.Hour)
	again, err := s.EnqueueMessage(ctx, dup)
	must(t, err)
	if again.Body != "123456" || !again.CreatedAt.Equal(us(ts)) {
		t.Fatalf("second EnqueueMessage = %+v, want the first message", again)
	}
	list, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("outbox holds %d messages, want 1", len(list))
	}

	must(t, s.MarkFailed(ctx, "msg_1", "421 try later"))
	must(t, s.MarkFailed(ctx, "msg_1", "451 greylisted"))
	got = list1(t, s, "msg_1")
	if got.Attempts != 2 || got.LastError != "451 greylisted" || got.SentAt != nil {
		t.Fatalf("after two failures: %+v", got)
	}

	sentAt := ts.Add(2 * time.Hour)
	must(t, s.MarkSent(ctx, "msg_1", sentAt))
	got = list1(t, s, "msg_1")
	if got.SentAt == nil || !got.SentAt.Equal(us(sentAt)) {
		t.Fatalf("after MarkSent: SentAt = %v", got.SentAt)
	}
	err = s.MarkSent(ctx, "msg_1", sentAt.Add(time.Hour))
	wantCode(t, err, dsrflow.ECONFLICT)
	if strings.Contains(err.Error(), addr) {
		t.Fatalf("error %q contains the recipient address", err)
	}
	if got := list1(t, s, "msg_1"); !got.SentAt.Equal(us(sentAt)) {
		t.Fatalf("second MarkSent changed SentAt to %v", got.SentAt)
	}
	wantCode(t, s.MarkFailed(ctx, "msg_1", "late failure"), dsrflow.ECONFLICT)

	wantCode(t, s.MarkSent(ctx, "msg_missing", sentAt), dsrflow.ENOTFOUND)
	wantCode(t, s.MarkFailed(ctx, "msg_missing", "x"), dsrflow.ENOTFOUND)
	_, err = s.EnqueueMessage(ctx, store.Message{ID: "msg_2", To: addr})
	wantCode(t, err, dsrflow.EINVALID)
	if strings.Contains(err.Error(), addr) {
		t.Fatalf("error %q contains the recipient address", err)
	}
}

func list1(t *testing.T, s *store.Store, id string) store.Message {
	t.Helper()
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, err)
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %s not in outbox", id)
	return store.Message{}
}

func testOutboxList(t *testing.T, s *store.Store) {
	msgs := []store.Message{
		{ID: "m3", RequestID: "req_1", To: "a@example.org", CreatedAt: ts.Add(3 * time.Minute)},
		{ID: "m1", RequestID: "req_1", To: "a@example.org", CreatedAt: ts.Add(1 * time.Minute)},
		{ID: "m2b", RequestID: "req_2", To: "b@example.org", CreatedAt: ts.Add(2 * time.Minute)},
		{ID: "m2a", RequestID: "req_2", To: "a@example.org", CreatedAt: ts.Add(2 * time.Minute)},
	}
	for _, m := range msgs {
		m.Kind = "notice"
		_, err := s.EnqueueMessage(ctx, m)
		must(t, err)
	}
	must(t, s.MarkSent(ctx, "m1", ts.Add(time.Hour)))
	ids := func(f store.OutboxFilter) string {
		t.Helper()
		ms, err := s.ListOutbox(ctx, f)
		must(t, err)
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		name string
		f    store.OutboxFilter
		want string
	}{
		{"all by created then id", store.OutboxFilter{}, "m1,m2a,m2b,m3"},
		{"to", store.OutboxFilter{To: "a@example.org"}, "m1,m2a,m3"},
		{"request", store.OutboxFilter{RequestID: "req_2"}, "m2a,m2b"},
		{"pending", store.OutboxFilter{PendingOnly: true}, "m2a,m2b,m3"},
		{"combined", store.OutboxFilter{To: "a@example.org", RequestID: "req_1", PendingOnly: true}, "m3"},
		{"limit", store.OutboxFilter{Limit: 2}, "m1,m2a"},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}
