package storetest

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// runWorkflow adds the tests of the request workflow's tables (migration 0002) to Run.
func runWorkflow(t *testing.T, migrated func(t *testing.T) *store.Store) {
	t.Run("MigrationWorkflow", func(t *testing.T) { testMigrationWorkflow(t, migrated(t)) })
	t.Run("FindOpenRequest", func(t *testing.T) { testFindOpenRequest(t, migrated(t)) })
	t.Run("ListRequestsOverdue", func(t *testing.T) { testListRequestsOverdue(t, migrated(t)) })
	t.Run("CountRequests", func(t *testing.T) { testCountRequests(t, migrated(t)) })
	t.Run("RequestDetail", func(t *testing.T) { testRequestDetail(t, migrated(t)) })
	t.Run("CodeAttempts", func(t *testing.T) { testCodeAttempts(t, migrated(t)) })
	t.Run("CodeExpiry", func(t *testing.T) { testCodeExpiry(t, migrated(t)) })
	t.Run("CodeResends", func(t *testing.T) { testCodeResends(t, migrated(t)) })
	t.Run("CodeConcurrentGuesses", func(t *testing.T) { testCodeConcurrent(t, migrated(t)) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, migrated(t)) })
	t.Run("JobStats", func(t *testing.T) { testJobStats(t, migrated(t)) })
	t.Run("JobRecords", func(t *testing.T) { testJobRecords(t, migrated(t)) })
	t.Run("MoveJobRecords", func(t *testing.T) { testMoveJobRecords(t, migrated(t)) })
	t.Run("Decisions", func(t *testing.T) { testDecisions(t, migrated(t)) })
	t.Run("Export", func(t *testing.T) { testExport(t, migrated(t)) })
	t.Run("RequestChildren", func(t *testing.T) { testRequestChildren(t, migrated(t)) })
}

// putReq records an open request (closed when closedAt is set): the workflow's tables refer to it.
func putReq(t *testing.T, s *store.Store, id, typ, key string, received time.Time, closedAt *time.Time) store.Request {
	t.Helper()
	r := store.Request{
		ID: id, Type: dsrflow.RequestType(typ), Status: "received", Jurisdiction: "gdpr", ReceivedAt: received,
		DueAt: received.AddDate(0, 1, 0), ClosedAt: closedAt, UpdatedAt: received, SubjectKey: key,
	}
	if closedAt != nil {
		r.Status = "completed"
	}
	must(t, s.PutRequest(ctx, r))
	return r
}

func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if err != nil && strings.Contains(err.Error(), sec) {
			t.Fatalf("error %q contains personal data %q", err, sec)
		}
	}
}

func testMigrationWorkflow(t *testing.T, s *store.Store) {
	ms, err := s.Migrations(ctx)
	must(t, err)
	if len(ms) < 2 || ms[1].Version != 2 || ms[1].Name != "requests_workflow" {
		t.Fatalf("migrations = %+v, want 0002 requests_workflow second", ms)
	}
	must(t, s.CheckSchema(ctx))
}

func testFindOpenRequest(t *testing.T, s *store.Store) {
	const alice, bob = "key-alice", "key-bob"
	putReq(t, s, "r_closed", "erasure", alice, ts.Add(-2*time.Hour), ptr(ts.Add(-time.Hour)))
	putReq(t, s, "r_open", "erasure", alice, ts, nil)
	// A second open request of the subject and type is refused by the database (migration 0009).
	late := store.Request{ID: "r_late", Type: "erasure", Status: "received", Jurisdiction: "gdpr", ReceivedAt: ts.Add(time.Hour),
		DueAt: ts.AddDate(0, 1, 0), UpdatedAt: ts, SubjectKey: alice}
	if err := s.PutRequest(ctx, late); err == nil {
		t.Fatal("a second open erasure request of one subject was stored")
	}
	putReq(t, s, "r_access", "access", alice, ts, nil)
	putReq(t, s, "r_bob", "erasure", bob, ts.Add(-3*time.Hour), nil)
	putReq(t, s, "r_nokey", "objection", "", ts, nil)

	find := func(key, typ string) string {
		t.Helper()
		r, err := s.FindOpenRequest(ctx, key, typ)
		must(t, err)
		return r.ID
	}
	// The closed request was received earlier, but only open ones count.
	if got := find(alice, "erasure"); got != "r_open" {
		t.Fatalf("FindOpenRequest(alice, erasure) = %s, want r_open", got)
	}
	if got := find(alice, "access"); got != "r_access" {
		t.Fatalf("FindOpenRequest(alice, access) = %s, want r_access", got)
	}
	if got := find(bob, "erasure"); got != "r_bob" {
		t.Fatalf("FindOpenRequest(bob, erasure) = %s, want r_bob", got)
	}
	r, err := s.FindOpenRequest(ctx, alice, "erasure")
	must(t, err)
	want := store.Request{
		ID: "r_open", Type: "erasure", Status: "received", Jurisdiction: "gdpr", ReceivedAt: us(ts),
		DueAt: us(ts.AddDate(0, 1, 0)), UpdatedAt: us(ts), SubjectKey: alice,
	}
	assertRequest(t, r, want)
	if r.SubjectKey != alice {
		t.Fatalf("SubjectKey = %q, want %q", r.SubjectKey, alice)
	}

	_, err = s.FindOpenRequest(ctx, bob, "access")
	wantCode(t, err, dsrflow.ENOTFOUND)
	noSecret(t, err, bob)
	_, err = s.FindOpenRequest(ctx, "", "objection") // a request without a key is never found
	wantCode(t, err, dsrflow.EINVALID)
	_, err = s.FindOpenRequest(ctx, alice, "")
	wantCode(t, err, dsrflow.EINVALID)

	// Closing the open request leaves none, and a later one may then be recorded and found.
	must(t, s.SetRequestStatus(ctx, "r_open", "completed", ts.Add(2*time.Hour), true))
	_, err = s.FindOpenRequest(ctx, alice, "erasure")
	wantCode(t, err, dsrflow.ENOTFOUND)
	must(t, s.PutRequest(ctx, late))
	if got := find(alice, "erasure"); got != "r_late" {
		t.Fatalf("after closing r_open: FindOpenRequest = %s, want r_late", got)
	}

	// A write without the key keeps it; a write with another key replaces it.
	must(t, s.PutRequest(ctx, store.Request{ID: "r_access", Type: "access", Status: "verifying", ReceivedAt: ts, DueAt: ts.AddDate(0, 1, 0)}))
	got, err := s.GetRequest(ctx, "r_access")
	must(t, err)
	if got.SubjectKey != alice || got.Status != "verifying" {
		t.Fatalf("after a write without key: key %q status %q, want %q verifying", got.SubjectKey, got.Status, alice)
	}
	must(t, s.PutRequest(ctx, store.Request{ID: "r_access", Type: "access", Status: "verifying", ReceivedAt: ts, DueAt: ts.AddDate(0, 1, 0), SubjectKey: bob}))
	if got := find(bob, "access"); got != "r_access" {
		t.Fatalf("after rekeying: FindOpenRequest(bob, access) = %s, want r_access", got)
	}
	_, err = s.FindOpenRequest(ctx, alice, "access")
	wantCode(t, err, dsrflow.ENOTFOUND)
}

func testListRequestsOverdue(t *testing.T, s *store.Store) {
	day := func(d int) time.Time { return time.Date(2026, 5, d, 12, 0, 0, 0, time.UTC) }
	for _, r := range []store.Request{
		{ID: "o1", Type: "access", Status: "fulfilling", DueAt: day(1)},
		{ID: "o2", Type: "erasure", Status: "received", DueAt: day(2)},
		{ID: "o2c", Type: "erasure", Status: "completed", DueAt: day(2), ClosedAt: ptr(day(3))},
		{ID: "o3", Type: "access", Status: "received", DueAt: day(3)}, // due exactly at now: not overdue
		{ID: "o4", Type: "access", Status: "received", DueAt: day(4)},
	} {
		r.ReceivedAt = day(1).AddDate(0, -1, 0)
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
		{"overdue", store.RequestFilter{Overdue: true, Now: day(3)}, "o1,o2"},
		{"overdue later", store.RequestFilter{Overdue: true, Now: day(3).Add(time.Microsecond)}, "o1,o2,o3"},
		{"overdue type", store.RequestFilter{Overdue: true, Now: day(5), Type: "access"}, "o1,o3,o4"},
		{"overdue status", store.RequestFilter{Overdue: true, Now: day(5), Status: "received"}, "o2,o3,o4"},
		{"overdue limit", store.RequestFilter{Overdue: true, Now: day(5), Limit: 1}, "o1"},
		{"overdue zero now is the current time", store.RequestFilter{Overdue: true}, "o1,o2,o3,o4"},
		{"now alone filters nothing", store.RequestFilter{Now: day(2)}, "o1,o2,o2c,o3,o4"},
		{"type alone", store.RequestFilter{Type: "erasure"}, "o2,o2c"},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func testCountRequests(t *testing.T, s *store.Store) {
	got, err := s.CountRequests(ctx)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("CountRequests on an empty store = %v", got)
	}
	putReq(t, s, "a1", "access", "", ts, nil)
	putReq(t, s, "a2", "access", "", ts, nil)
	putReq(t, s, "a3", "access", "", ts, ptr(ts))
	putReq(t, s, "e1", "erasure", "", ts, nil)
	must(t, s.SetRequestStatus(ctx, "a2", "verifying", ts, false))
	got, err = s.CountRequests(ctx)
	must(t, err)
	want := map[string]map[string]int{
		"access":  {"received": 1, "verifying": 1, "completed": 1},
		"erasure": {"received": 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("CountRequests = %v, want %v", got, want)
	}
}

func testRequestDetail(t *testing.T, s *store.Store) {
	identity := []byte(`{"email":"subject@example.org","name":"Ada Lovelace"}`)
	details := []byte(`{"channel":"web","corrections":{"name":"Ada King"}}`)
	err := s.PutRequestDetail(ctx, store.RequestDetail{RequestID: "req_1", Identity: identity, Details: details})
	wantCode(t, err, dsrflow.ENOTFOUND) // the request row comes first
	noSecret(t, err, "subject@example.org", "Ada")

	putReq(t, s, "req_1", "rectification", "k", ts, nil)
	_, err = s.GetRequestDetail(ctx, "req_1")
	wantCode(t, err, dsrflow.ENOTFOUND)
	must(t, s.PutRequestDetail(ctx, store.RequestDetail{RequestID: "req_1", Identity: identity, Details: details}))
	got, err := s.GetRequestDetail(ctx, "req_1")
	must(t, err)
	if got.RequestID != "req_1" || !bytes.Equal(got.Identity, identity) || !bytes.Equal(got.Details, details) {
		t.Fatalf("GetRequestDetail = %s %s %s", got.RequestID, got.Identity, got.Details)
	}

	// Upsert replaces both; empty reads back as nil.
	identity2 := []byte(`{"email":"other@example.org"}`)
	must(t, s.PutRequestDetail(ctx, store.RequestDetail{RequestID: "req_1", Identity: identity2}))
	got, err = s.GetRequestDetail(ctx, "req_1")
	must(t, err)
	if !bytes.Equal(got.Identity, identity2) || got.Details != nil {
		t.Fatalf("after upsert: identity %s details %q, want %s and nil", got.Identity, got.Details, identity2)
	}
	wantCode(t, s.PutRequestDetail(ctx, store.RequestDetail{Identity: identity}), dsrflow.EINVALID)
}

// issue issues a code with 5 attempts valid for 15 minutes from at.
func issue(t *testing.T, s *store.Store, id, hash string, at time.Time, resend bool, maxResends int) store.Code {
	t.Helper()
	c, err := s.IssueCode(ctx, id, hash, at, at.Add(15*time.Minute), 5, resend, maxResends)
	must(t, err)
	return c
}

func check(t *testing.T, s *store.Store, id, hash string, now time.Time, want store.CodeCheck) {
	t.Helper()
	got, err := s.CheckCode(ctx, id, hash, now)
	must(t, err)
	if got != want {
		t.Fatalf("CheckCode(%s, %s) = %+v, want %+v", id, hash, got, want)
	}
}

func testCodeAttempts(t *testing.T, s *store.Store) {
	_, err := s.IssueCode(ctx, "req_1", "h1", ts, ts.Add(time.Minute), 5, false, 3)
	wantCode(t, err, dsrflow.ENOTFOUND)
	putReq(t, s, "req_1", "access", "k", ts, nil)
	_, err = s.GetCode(ctx, "req_1")
	wantCode(t, err, dsrflow.ENOTFOUND)
	check(t, s, "req_1", "h1", ts, store.CodeCheck{NoCode: true})

	for _, bad := range []struct {
		hash             string
		issued, expires  time.Time
		attempts, resend int
	}{
		{"", ts, ts.Add(time.Minute), 5, 3},
		{"h", ts, ts, 5, 3},
		{"h", ts, ts.Add(time.Minute), 0, 3},
		{"h", ts, ts.Add(time.Minute), 5, -1},
	} {
		_, err := s.IssueCode(ctx, "req_1", bad.hash, bad.issued, bad.expires, bad.attempts, false, bad.resend)
		wantCode(t, err, dsrflow.EINVALID)
	}

	c := issue(t, s, "req_1", "h1", ts, false, 3)
	want := store.Code{RequestID: "req_1", Hash: "h1", IssuedAt: us(ts), ExpiresAt: us(ts.Add(15 * time.Minute)), AttemptsLeft: 5}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Fatalf("IssueCode = %+v, want %+v", c, want)
	}
	got, err := s.GetCode(ctx, "req_1")
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(want) || got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("GetCode = %+v, want %+v", got, want)
	}

	// Exactly 5 wrong guesses kill the code; then even the right one fails.
	now := ts.Add(time.Minute)
	for left := 4; left >= 0; left-- {
		check(t, s, "req_1", "wrong", now, store.CodeCheck{AttemptsLeft: left})
	}
	check(t, s, "req_1", "h1", now, store.CodeCheck{AttemptsLeft: 0})
	check(t, s, "req_1", "wrong", now, store.CodeCheck{AttemptsLeft: 0})
	got, err = s.GetCode(ctx, "req_1")
	must(t, err)
	if got.AttemptsLeft != 0 || got.VerifiedAt != nil {
		t.Fatalf("dead code = %+v", got)
	}

	// A new code resets the attempts; four wrong guesses leave one, and the right code verifies.
	c = issue(t, s, "req_1", "h2", now, false, 3)
	if c.AttemptsLeft != 5 || c.Hash != "h2" || c.Resends != 0 || c.VerifiedAt != nil {
		t.Fatalf("reissued code = %+v", c)
	}
	check(t, s, "req_1", "h1", now, store.CodeCheck{AttemptsLeft: 4}) // the old code is gone
	for left := 3; left >= 1; left-- {
		check(t, s, "req_1", "wrong", now, store.CodeCheck{AttemptsLeft: left})
	}
	verifiedAt := now.Add(time.Second)
	check(t, s, "req_1", "h2", verifiedAt, store.CodeCheck{OK: true, AttemptsLeft: 1})
	got, err = s.GetCode(ctx, "req_1")
	must(t, err)
	if got.VerifiedAt == nil || !got.VerifiedAt.Equal(us(verifiedAt)) || got.VerifiedAt.Location() != time.UTC || got.AttemptsLeft != 1 {
		t.Fatalf("verified code = %+v", got)
	}

	// Verified: a repeated right code is OK, a wrong one is not, and neither uses an attempt or expires.
	late := ts.Add(24 * time.Hour)
	check(t, s, "req_1", "h2", late, store.CodeCheck{OK: true, AlreadyVerified: true, AttemptsLeft: 1})
	check(t, s, "req_1", "wrong", late, store.CodeCheck{AlreadyVerified: true, AttemptsLeft: 1})
	check(t, s, "req_1", "wrong", late, store.CodeCheck{AlreadyVerified: true, AttemptsLeft: 1})
	got, err = s.GetCode(ctx, "req_1")
	must(t, err)
	if !got.VerifiedAt.Equal(us(verifiedAt)) {
		t.Fatalf("a repeated check changed VerifiedAt to %v", got.VerifiedAt)
	}
	// No new code once verified, resend or not.
	_, err = s.IssueCode(ctx, "req_1", "h3", late, late.Add(time.Minute), 5, false, 3)
	wantCode(t, err, dsrflow.ECONFLICT)
	if !strings.Contains(dsrflow.ErrorMessage(err), "already verified") {
		t.Fatalf("issuing after verification: message %q", dsrflow.ErrorMessage(err))
	}
	_, err = s.IssueCode(ctx, "req_1", "h3", late, late.Add(time.Minute), 5, true, 3)
	wantCode(t, err, dsrflow.ECONFLICT)
	if got, err := s.GetCode(ctx, "req_1"); err != nil || got.Hash != "h2" {
		t.Fatalf("refused issue changed the code: %+v %v", got, err)
	}
	_, err = s.CheckCode(ctx, "req_1", "", late)
	wantCode(t, err, dsrflow.EINVALID)
}

func testCodeExpiry(t *testing.T, s *store.Store) {
	putReq(t, s, "req_1", "access", "k", ts, nil)
	c := issue(t, s, "req_1", "h1", ts, false, 3)
	// At the expiry the code still counts; a wrong guess there uses an attempt.
	check(t, s, "req_1", "wrong", c.ExpiresAt, store.CodeCheck{AttemptsLeft: 4})
	after := c.ExpiresAt.Add(time.Microsecond)
	check(t, s, "req_1", "wrong", after, store.CodeCheck{Expired: true, AttemptsLeft: 4})
	check(t, s, "req_1", "h1", after, store.CodeCheck{Expired: true, AttemptsLeft: 4})
	check(t, s, "req_1", "wrong", after.Add(time.Hour), store.CodeCheck{Expired: true, AttemptsLeft: 4})
	got, err := s.GetCode(ctx, "req_1")
	must(t, err)
	if got.AttemptsLeft != 4 || got.VerifiedAt != nil {
		t.Fatalf("expired code = %+v, want 4 attempts and not verified", got)
	}
	// A resent code is live again.
	c = issue(t, s, "req_1", "h2", after, true, 3)
	check(t, s, "req_1", "h2", after.Add(time.Minute), store.CodeCheck{OK: true, AttemptsLeft: 5})
}

func testCodeResends(t *testing.T, s *store.Store) {
	putReq(t, s, "req_1", "access", "k", ts, nil)
	issue(t, s, "req_1", "h0", ts, false, 2)
	check(t, s, "req_1", "wrong", ts, store.CodeCheck{AttemptsLeft: 4})
	c := issue(t, s, "req_1", "h1", ts.Add(time.Minute), true, 2)
	if c.Resends != 1 || c.AttemptsLeft != 5 || c.Hash != "h1" || !c.IssuedAt.Equal(us(ts.Add(time.Minute))) {
		t.Fatalf("first resend = %+v", c)
	}
	// A plain reissue keeps the count.
	c = issue(t, s, "req_1", "h1b", ts.Add(2*time.Minute), false, 2)
	if c.Resends != 1 {
		t.Fatalf("reissue without resend: Resends = %d, want 1", c.Resends)
	}
	c = issue(t, s, "req_1", "h2", ts.Add(3*time.Minute), true, 2)
	if c.Resends != 2 {
		t.Fatalf("second resend: Resends = %d, want 2", c.Resends)
	}
	_, err := s.IssueCode(ctx, "req_1", "h3", ts.Add(4*time.Minute), ts.Add(time.Hour), 5, true, 2)
	wantCode(t, err, dsrflow.ECONFLICT)
	if !strings.Contains(dsrflow.ErrorMessage(err), "no resends left") {
		t.Fatalf("third resend: message %q, want it to say no resends left", dsrflow.ErrorMessage(err))
	}
	got, err := s.GetCode(ctx, "req_1")
	must(t, err)
	want := store.Code{RequestID: "req_1", Hash: "h2", IssuedAt: us(ts.Add(3 * time.Minute)), ExpiresAt: us(ts.Add(18 * time.Minute)), AttemptsLeft: 5, Resends: 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after a refused resend: %+v, want %+v", got, want)
	}
	check(t, s, "req_1", "h1", ts.Add(5*time.Minute), store.CodeCheck{AttemptsLeft: 4})
	check(t, s, "req_1", "h2", ts.Add(5*time.Minute), store.CodeCheck{OK: true, AttemptsLeft: 4})

	// maxResends 0 allows no resend at all.
	putReq(t, s, "req_2", "access", "k2", ts, nil)
	issue(t, s, "req_2", "h0", ts, false, 0)
	_, err = s.IssueCode(ctx, "req_2", "h1", ts, ts.Add(time.Hour), 5, true, 0)
	wantCode(t, err, dsrflow.ECONFLICT)
}

func testCodeConcurrent(t *testing.T, s *store.Store) {
	putReq(t, s, "req_1", "access", "k", ts, nil)
	issue(t, s, "req_1", "right", ts, false, 3)
	const guesses = 20
	results := make(chan store.CodeCheck, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			res, err := s.CheckCode(ctx, "req_1", fmt.Sprintf("wrong-%02d", i), ts.Add(time.Minute))
			if err != nil {
				t.Errorf("guess %d: %v", i, err)
				return
			}
			results <- res
		})
	}
	wg.Wait()
	close(results)
	byLeft := map[int]int{}
	for r := range results {
		if r.OK || r.AlreadyVerified || r.Expired || r.NoCode {
			t.Fatalf("wrong guess got %+v", r)
		}
		byLeft[r.AttemptsLeft]++
	}
	// Five guesses used an attempt each (leaving 4, 3, 2, 1, 0); the other 15 found the code dead.
	want := map[int]int{4: 1, 3: 1, 2: 1, 1: 1, 0: 16}
	if fmt.Sprint(byLeft) != fmt.Sprint(want) {
		t.Fatalf("attempts left reported by the guesses = %v, want %v", byLeft, want)
	}
	got, err := s.GetCode(ctx, "req_1")
	must(t, err)
	if got.AttemptsLeft != 0 || got.VerifiedAt != nil {
		t.Fatalf("after 20 wrong guesses: %+v", got)
	}
	check(t, s, "req_1", "right", ts.Add(time.Minute), store.CodeCheck{AttemptsLeft: 0})

	// With concurrent right guesses and fewer wrong ones than the attempts allowed on a fresh code,
	// exactly one check verifies the request.
	issue(t, s, "req_1", "right", ts.Add(2*time.Minute), true, 3)
	var oks, already int
	var mu sync.Mutex
	for i := range guesses {
		wg.Go(func() {
			hash := "right"
			if i%7 == 1 { // 3 of 20
				hash = "wrong"
			}
			res, err := s.CheckCode(ctx, "req_1", hash, ts.Add(3*time.Minute))
			if err != nil {
				t.Errorf("guess %d: %v", i, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if res.OK && !res.AlreadyVerified {
				oks++
			}
			if res.AlreadyVerified {
				already++
			}
		})
	}
	wg.Wait()
	if oks != 1 {
		t.Fatalf("%d checks verified the request, want exactly 1", oks)
	}
	got, err = s.GetCode(ctx, "req_1")
	must(t, err)
	if got.VerifiedAt == nil || got.AttemptsLeft < 0 {
		t.Fatalf("after concurrent guesses: %+v", got)
	}
	if already+oks+(5-got.AttemptsLeft) != guesses {
		t.Fatalf("%d verified, %d already verified and %d attempts used do not add up to %d guesses", oks, already, 5-got.AttemptsLeft, guesses)
	}
}

func jobString(j store.Job) string {
	keys := make([]string, 0, len(j.Counts))
	for k := range j.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var counts []string
	for _, k := range keys {
		counts = append(counts, fmt.Sprintf("%s=%d", k, j.Counts[k]))
	}
	return fmt.Sprintf("%s req=%s conn=%s owner=%s role=%s action=%s status=%s detail=%q attempts=%d counts=%s nilcounts=%t exemptions=%q nilex=%t updated=%s",
		j.JobID, j.RequestID, j.ConnectorID, j.Owner, j.Role, j.Action, j.Status, j.Detail, j.Attempts,
		strings.Join(counts, ","), j.Counts == nil, j.Exemptions, j.Exemptions == nil, j.UpdatedAt.Format(time.RFC3339Nano))
}

func testJobs(t *testing.T, s *store.Store) {
	job := store.Job{JobID: "a_crm_erase", RequestID: "req_1", ConnectorID: "crm", Owner: "sales", Role: "controller", Action: "erase", Status: "pending", UpdatedAt: ts}
	wantCode(t, s.PutJob(ctx, job), dsrflow.ENOTFOUND)
	putReq(t, s, "req_1", "erasure", "k", ts, nil)
	putReq(t, s, "req_2", "erasure", "k2", ts, nil)

	jobs := []store.Job{
		job,
		{JobID: "j_billing_notify", RequestID: "req_1", ConnectorID: "billing", Action: "notify", Status: "pending", UpdatedAt: ts},
		{JobID: "j_billing_erase", RequestID: "req_1", ConnectorID: "billing", Owner: "finance", Role: "controller", Action: "erase", Status: "done",
			Detail: "kept invoices", Attempts: 2, Counts: map[string]int{"erased": 3, "retained": 1},
			Exemptions: []byte(`[{"ground":"legal_obligation","records":1}]`), UpdatedAt: ts.Add(time.Minute)},
		{JobID: "j_other", RequestID: "req_2", ConnectorID: "analytics", Action: "erase", Status: "pending", UpdatedAt: ts},
	}
	for _, j := range jobs {
		must(t, s.PutJob(ctx, j))
	}
	list := func(id string) []string {
		t.Helper()
		js, err := s.ListJobs(ctx, id)
		must(t, err)
		var out []string
		for _, j := range js {
			out = append(out, jobString(j))
		}
		return out
	}
	norm := func(j store.Job) string { j.UpdatedAt = us(j.UpdatedAt); return jobString(j) }
	want := []string{norm(jobs[2]), norm(jobs[1]), norm(jobs[0])} // billing erase, billing notify, crm erase
	if got := list("req_1"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ListJobs(req_1)\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if got := list("req_2"); len(got) != 1 || got[0] != norm(jobs[3]) {
		t.Fatalf("ListJobs(req_2) = %v", got)
	}
	if got := list("req_none"); len(got) != 0 {
		t.Fatalf("ListJobs(req_none) = %v", got)
	}

	// Upsert by JobID replaces every field.
	upd := jobs[2]
	upd.Status, upd.Detail, upd.Attempts, upd.Counts, upd.Exemptions, upd.UpdatedAt = "failed", "timeout", 3, nil, nil, ts.Add(time.Hour)
	must(t, s.PutJob(ctx, upd))
	got := list("req_1")
	if len(got) != 3 || got[0] != norm(upd) {
		t.Fatalf("after upsert: %v\n want first %s", got, norm(upd))
	}

	// A zero UpdatedAt is now.
	before := time.Now().Add(-time.Second)
	must(t, s.PutJob(ctx, store.Job{JobID: "j_now", RequestID: "req_2", ConnectorID: "zz", Action: "erase", Status: "pending"}))
	js, err := s.ListJobs(ctx, "req_2")
	must(t, err)
	if len(js) != 2 || js[1].JobID != "j_now" || js[1].UpdatedAt.Before(before) || js[1].UpdatedAt.Location() != time.UTC {
		t.Fatalf("job with zero UpdatedAt: %+v", js)
	}
	wantCode(t, s.PutJob(ctx, store.Job{JobID: "j_bad", RequestID: "req_1", ConnectorID: "crm", Action: "erase"}), dsrflow.EINVALID)
	wantCode(t, s.PutJob(ctx, store.Job{RequestID: "req_1", ConnectorID: "crm", Action: "erase", Status: "pending"}), dsrflow.EINVALID)
}

func testJobStats(t *testing.T, s *store.Store) {
	putReq(t, s, "req_1", "erasure", "k", ts, nil)
	putReq(t, s, "req_2", "access", "k", ts, nil)
	for i, j := range []store.Job{
		{ConnectorID: "crm", Status: "done", UpdatedAt: ts},
		{ConnectorID: "crm", Status: "done", UpdatedAt: ts.Add(time.Hour)},
		{ConnectorID: "crm", Status: "failed", UpdatedAt: ts.Add(2 * time.Hour)},
		{ConnectorID: "billing", Status: "done", UpdatedAt: ts.Add(-time.Hour)},
		{ConnectorID: "billing", Status: "pending", UpdatedAt: ts.Add(3 * time.Hour)},
	} {
		j.JobID, j.RequestID, j.Action = fmt.Sprintf("j%d", i), []string{"req_1", "req_2"}[i%2], "erase"
		must(t, s.PutJob(ctx, j))
	}
	stats := func(since time.Time) string {
		t.Helper()
		st, err := s.JobStats(ctx, since)
		must(t, err)
		return fmt.Sprint(st)
	}
	for _, c := range []struct {
		since time.Time
		want  map[string]map[string]int
	}{
		{time.Time{}, map[string]map[string]int{"billing": {"done": 1, "pending": 1}, "crm": {"done": 2, "failed": 1}}},
		{ts, map[string]map[string]int{"billing": {"pending": 1}, "crm": {"done": 2, "failed": 1}}}, // since is inclusive
		{ts.Add(time.Microsecond), map[string]map[string]int{"billing": {"pending": 1}, "crm": {"done": 1, "failed": 1}}},
		{ts.Add(4 * time.Hour), map[string]map[string]int{}},
	} {
		if got := stats(c.since); got != fmt.Sprint(c.want) {
			t.Errorf("JobStats(%v) = %s, want %v", c.since, got, c.want)
		}
	}
}

func testJobRecords(t *testing.T, s *store.Store) {
	rec := []byte(`[{"email":"subject@example.org","orders":3}]`)
	err := s.PutJobRecords(ctx, "j1", "req_1", rec)
	wantCode(t, err, dsrflow.ENOTFOUND)
	noSecret(t, err, "subject@example.org")
	putReq(t, s, "req_1", "access", "k", ts, nil)
	putReq(t, s, "req_2", "access", "k2", ts, nil)
	must(t, s.PutJobRecords(ctx, "j1", "req_1", rec))
	must(t, s.PutJobRecords(ctx, "j2", "req_1", []byte(`[]`)))
	must(t, s.PutJobRecords(ctx, "j3", "req_2", []byte(`[{"id":7}]`)))
	show := func(id string) string {
		t.Helper()
		m, err := s.ListJobRecords(ctx, id)
		must(t, err)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, k+"="+string(m[k]))
		}
		return strings.Join(out, " ")
	}
	if got, want := show("req_1"), `j1=`+string(rec)+` j2=[]`; got != want {
		t.Fatalf("ListJobRecords(req_1) = %s, want %s", got, want)
	}
	must(t, s.PutJobRecords(ctx, "j1", "req_1", []byte(`[{"orders":4}]`)))
	if got, want := show("req_1"), `j1=[{"orders":4}] j2=[]`; got != want {
		t.Fatalf("after upsert ListJobRecords(req_1) = %s, want %s", got, want)
	}
	must(t, s.DeleteJobRecords(ctx, "req_1"))
	if got := show("req_1"); got != "" {
		t.Fatalf("after delete ListJobRecords(req_1) = %s", got)
	}
	if got := show("req_2"); got != `j3=[{"id":7}]` {
		t.Fatalf("deleting req_1's records touched req_2's: %s", got)
	}
	must(t, s.DeleteJobRecords(ctx, "req_1")) // nothing left: not an error
	wantCode(t, s.PutJobRecords(ctx, "", "req_1", rec), dsrflow.EINVALID)
}

// A team's records, staged under their own key, are filed under the task's job once, replacing what was
// there; a second move finds nothing and is no error; a refused answer's staged records are deleted
// alone.
func testMoveJobRecords(t *testing.T, s *store.Store) {
	putReq(t, s, "req_1", "access", "k", ts, nil)
	must(t, s.PutJobRecords(ctx, "req_1:archive:access#answer-1", "req_1", []byte(`[{"name":"Jane Smith"}]`)))
	must(t, s.PutJobRecords(ctx, "req_1:archive:access#answer-2", "req_1", []byte(`[{"name":"refused"}]`)))
	must(t, s.PutJobRecords(ctx, "req_1:crm:access", "req_1", []byte(`[{"id":7}]`)))
	must(t, s.MoveJobRecords(ctx, "req_1", "req_1:archive:access#answer-1", "req_1:archive:access"))
	must(t, s.MoveJobRecords(ctx, "req_1", "req_1:archive:access#answer-1", "req_1:archive:access"))
	must(t, s.DeleteJobRecordsOf(ctx, "req_1", "req_1:archive:access#answer-2"))
	m, err := s.ListJobRecords(ctx, "req_1")
	must(t, err)
	if len(m) != 2 || string(m["req_1:archive:access"]) != `[{"name":"Jane Smith"}]` || string(m["req_1:crm:access"]) != `[{"id":7}]` {
		t.Fatalf("after the move and the delete: %q", m)
	}
	wantCode(t, s.MoveJobRecords(ctx, "req_1", "", "req_1:archive:access"), dsrflow.EINVALID)
}

func testDecisions(t *testing.T, s *store.Store) {
	d := store.Decision{RequestID: "req_1", Reviewer: "dpo", Decision: store.DecisionApprove, Reason: "Ada's objection is founded", At: ts.Add(time.Hour)}
	wantCode(t, s.AddDecision(ctx, d), dsrflow.ENOTFOUND)
	putReq(t, s, "req_1", "objection", "k", ts, nil)
	putReq(t, s, "req_2", "objection", "k2", ts, nil)
	must(t, s.AddDecision(ctx, d))
	must(t, s.AddDecision(ctx, store.Decision{RequestID: "req_1", Reviewer: "legal", Decision: store.DecisionReject, Reason: "compelling grounds", At: ts}))
	must(t, s.AddDecision(ctx, store.Decision{RequestID: "req_1", Reviewer: "analyst", Decision: "approve", At: ts.Add(time.Hour)}))
	must(t, s.AddDecision(ctx, store.Decision{RequestID: "req_2", Reviewer: "dpo", Decision: "reject", At: ts}))

	// A second vote by the same reviewer is refused, whatever it says; the first stands.
	again := d
	again.Decision, again.Reason = store.DecisionReject, "changed my mind about Ada"
	err := s.AddDecision(ctx, again)
	wantCode(t, err, dsrflow.ECONFLICT)
	noSecret(t, err, "Ada")
	wantCode(t, s.AddDecision(ctx, d), dsrflow.ECONFLICT)

	for _, bad := range []store.Decision{
		{RequestID: "req_1", Reviewer: "x", Decision: "maybe"},
		{RequestID: "req_1", Reviewer: "x", Decision: "Approve"},
		{RequestID: "req_1", Reviewer: "x"},
		{RequestID: "req_1", Decision: "approve"},
		{Reviewer: "x", Decision: "approve"},
	} {
		wantCode(t, s.AddDecision(ctx, bad), dsrflow.EINVALID)
	}

	ds, err := s.ListDecisions(ctx, "req_1")
	must(t, err)
	var got []string
	for _, d := range ds {
		if d.At.Location() != time.UTC {
			t.Fatalf("decision time %v is not UTC", d.At)
		}
		got = append(got, fmt.Sprintf("%s %s %s %q %s", d.RequestID, d.Reviewer, d.Decision, d.Reason, d.At.Format(time.RFC3339Nano)))
	}
	at := func(t time.Time) string { return us(t).Format(time.RFC3339Nano) }
	want := []string{
		`req_1 legal reject "compelling grounds" ` + at(ts),
		`req_1 analyst approve "" ` + at(ts.Add(time.Hour)),
		`req_1 dpo approve "Ada's objection is founded" ` + at(ts.Add(time.Hour)),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ListDecisions(req_1)\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	ds, err = s.ListDecisions(ctx, "req_none")
	must(t, err)
	if len(ds) != 0 {
		t.Fatalf("ListDecisions(req_none) = %+v", ds)
	}
}

func testExport(t *testing.T, s *store.Store) {
	data := []byte("PK\x03\x04\x00\x00\xff\xfe binary zip")
	e := store.Export{RequestID: "req_1", Data: data, CreatedAt: ts, ExpiresAt: ts.AddDate(0, 0, 30)}
	wantCode(t, s.PutExport(ctx, e), dsrflow.ENOTFOUND)
	putReq(t, s, "req_1", "access", "k", ts, nil)
	_, err := s.GetExport(ctx, "req_1")
	wantCode(t, err, dsrflow.ENOTFOUND)
	must(t, s.PutExport(ctx, e))
	got, err := s.GetExport(ctx, "req_1")
	must(t, err)
	if got.RequestID != "req_1" || !bytes.Equal(got.Data, data) || !got.CreatedAt.Equal(us(ts)) || got.CreatedAt.Location() != time.UTC ||
		!got.ExpiresAt.Equal(us(ts.AddDate(0, 0, 30))) || got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("GetExport = %+v", got)
	}
	e2 := store.Export{RequestID: "req_1", Data: []byte("second"), CreatedAt: ts.Add(time.Hour), ExpiresAt: ts.AddDate(0, 0, 7)}
	must(t, s.PutExport(ctx, e2))
	got, err = s.GetExport(ctx, "req_1")
	must(t, err)
	if string(got.Data) != "second" || !got.CreatedAt.Equal(us(e2.CreatedAt)) || !got.ExpiresAt.Equal(us(e2.ExpiresAt)) {
		t.Fatalf("after upsert GetExport = %+v", got)
	}
	wantCode(t, s.PutExport(ctx, store.Export{RequestID: "req_1", Data: data}), dsrflow.EINVALID)
	wantCode(t, s.PutExport(ctx, store.Export{Data: data, ExpiresAt: ts}), dsrflow.EINVALID)
}

// testRequestChildren checks that rewriting a request keeps what refers to it, and that deleting it
// (an operator's purge) deletes everything about it.
func testRequestChildren(t *testing.T, s *store.Store) {
	r := putReq(t, s, "req_1", "access", "k", ts, nil)
	must(t, s.PutRequestDetail(ctx, store.RequestDetail{RequestID: "req_1", Identity: []byte(`{}`), Details: []byte(`{}`)}))
	issue(t, s, "req_1", "h", ts, false, 3)
	must(t, s.PutJob(ctx, store.Job{JobID: "j1", RequestID: "req_1", ConnectorID: "crm", Action: "access", Status: "done", UpdatedAt: ts}))
	must(t, s.PutJobRecords(ctx, "j1", "req_1", []byte(`[]`)))
	must(t, s.AddDecision(ctx, store.Decision{RequestID: "req_1", Reviewer: "dpo", Decision: "approve", At: ts}))
	must(t, s.PutExport(ctx, store.Export{RequestID: "req_1", Data: []byte("zip"), ExpiresAt: ts.AddDate(0, 0, 30)}))

	counts := func() string {
		t.Helper()
		var out []string
		for _, table := range []string{"request_details", "verification_codes", "jobs", "job_records", "decisions", "exports"} {
			var n int
			must(t, s.UnsafeDB().GetContext(ctx, &n, s.UnsafeDB().Rebind(`SELECT count(*) FROM `+table+` WHERE request_id = ?`), "req_1"))
			out = append(out, fmt.Sprintf("%s=%d", table, n))
		}
		return strings.Join(out, " ")
	}
	const all = "request_details=1 verification_codes=1 jobs=1 job_records=1 decisions=1 exports=1"
	if got := counts(); got != all {
		t.Fatalf("rows = %s, want %s", got, all)
	}
	r.Status, r.UpdatedAt = "completed", ts.Add(time.Hour)
	must(t, s.PutRequest(ctx, r))
	must(t, s.SetRequestStatus(ctx, "req_1", "completed", ts.Add(time.Hour), true))
	if got := counts(); got != all {
		t.Fatalf("after rewriting the request: rows = %s, want %s", got, all)
	}
	must(t, exec(s, `DELETE FROM requests WHERE id = ?`, "req_1"))
	if got, want := counts(), "request_details=0 verification_codes=0 jobs=0 job_records=0 decisions=0 exports=0"; got != want {
		t.Fatalf("after deleting the request: rows = %s, want %s", got, want)
	}
}
