package storetest

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// runDelivery adds the tests of outbox delivery (migration 0003: claims and deferred attempts) to Run.
func runDelivery(t *testing.T, migrated func(t *testing.T) *store.Store) {
	t.Run("MigrationOutboxDelivery", func(t *testing.T) { testMigrationDelivery(t, migrated(t)) })
	t.Run("ClaimOutbox", func(t *testing.T) { testClaimOutbox(t, migrated(t)) })
	t.Run("ClaimOutboxExpiredClaim", func(t *testing.T) { testClaimExpired(t, migrated(t)) })
	t.Run("ClaimOutboxNeverSent", func(t *testing.T) { testClaimNeverSent(t, migrated(t)) })
	t.Run("DeferMessage", func(t *testing.T) { testDeferMessage(t, migrated(t)) })
	t.Run("ClaimOutboxConcurrent", func(t *testing.T) { testClaimConcurrent(t, migrated(t)) })
}

func enqueue(t *testing.T, s *store.Store, id string, created time.Time) {
	t.Helper()
	_, err := s.EnqueueMessage(ctx, store.Message{ID: id, RequestID: "req_1", Kind: "notice", To: id + "@example.org", Subject: "S " + id, Body: "B " + id, CreatedAt: created})
	must(t, err)
}

func claim(t *testing.T, s *store.Store, now time.Time, lease time.Duration, limit int) string {
	t.Helper()
	ms, err := s.ClaimOutbox(ctx, now, lease, limit)
	must(t, err)
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return strings.Join(ids, ",")
}

func testMigrationDelivery(t *testing.T, s *store.Store) {
	ms, err := s.Migrations(ctx)
	must(t, err)
	if len(ms) < 3 || ms[2].Version != 3 || ms[2].Name != "outbox_delivery" {
		t.Fatalf("migrations = %+v, want 0003 outbox_delivery third", ms)
	}
	must(t, s.CheckSchema(ctx))
}

func testClaimOutbox(t *testing.T, s *store.Store) {
	now := ts.Add(time.Hour)
	enqueue(t, s, "m3", ts.Add(3*time.Minute))
	enqueue(t, s, "m1", ts.Add(1*time.Minute))
	enqueue(t, s, "m2", ts.Add(2*time.Minute))

	ms, err := s.ClaimOutbox(ctx, now, time.Minute, 2)
	must(t, err)
	if len(ms) != 2 || ms[0].ID != "m1" || ms[1].ID != "m2" {
		t.Fatalf("first claim = %+v, want m1, m2 (oldest first)", ms)
	}
	// Claimed messages come whole: the dispatcher sends from them.
	if m := ms[0]; m.To != "m1@example.org" || m.Subject != "S m1" || m.Body != "B m1" || m.Kind != "notice" ||
		m.RequestID != "req_1" || !m.CreatedAt.Equal(us(ts.Add(time.Minute))) || m.SentAt != nil || m.Attempts != 0 {
		t.Fatalf("claimed message = %+v", m)
	}
	if got := claim(t, s, now, time.Minute, 10); got != "m3" {
		t.Fatalf("second claim = %q, want m3 (m1 and m2 are claimed)", got)
	}
	if got := claim(t, s, now.Add(59*time.Second), time.Minute, 10); got != "" {
		t.Fatalf("claim within the lease = %q, want nothing", got)
	}
	// limit 0 means the default page, not nothing.
	if got := claim(t, s, now.Add(time.Minute), time.Minute, 0); got != "m1,m2,m3" {
		t.Fatalf("claim with limit 0 after the lease = %q, want m1,m2,m3", got)
	}
	_, err = s.ClaimOutbox(ctx, now, 0, 10)
	wantCode(t, err, dsrflow.EINVALID)
}

func testClaimExpired(t *testing.T, s *store.Store) {
	now := ts.Add(time.Hour)
	enqueue(t, s, "m1", ts)
	if got := claim(t, s, now, 5*time.Minute, 10); got != "m1" {
		t.Fatalf("claim = %q", got)
	}
	// The dispatcher that claimed m1 died: nothing was recorded. Once the lease ran out, m1 is due again.
	if got := claim(t, s, now.Add(5*time.Minute-time.Microsecond), time.Minute, 10); got != "" {
		t.Fatalf("claim just before the lease ran out = %q, want nothing", got)
	}
	if got := claim(t, s, now.Add(5*time.Minute), time.Minute, 10); got != "m1" {
		t.Fatalf("claim when the lease ran out = %q, want m1", got)
	}
	got := list1(t, s, "m1")
	if got.Attempts != 0 || got.SentAt != nil {
		t.Fatalf("a reclaim changed the message: %+v", got)
	}
}

func testClaimNeverSent(t *testing.T, s *store.Store) {
	now := ts.Add(time.Hour)
	enqueue(t, s, "m1", ts)
	enqueue(t, s, "m2", ts.Add(time.Second))
	must(t, s.MarkSent(ctx, "m2", ts)) // sent without a claim: dev tooling, or a crash-window resend
	if got := claim(t, s, now, time.Minute, 10); got != "m1" {
		t.Fatalf("claim = %q, want m1", got)
	}
	must(t, s.MarkSent(ctx, "m1", now))
	for _, at := range []time.Time{now, now.Add(time.Minute), now.AddDate(1, 0, 0)} {
		if got := claim(t, s, at, time.Minute, 10); got != "" {
			t.Fatalf("claim at %v = %q: sent messages must never be claimed", at, got)
		}
	}
	wantCode(t, s.DeferMessage(ctx, "m1", "late", now), dsrflow.ECONFLICT)
	if got := list1(t, s, "m1"); got.Attempts != 0 || got.LastError != "" || !got.SentAt.Equal(us(now)) {
		t.Fatalf("DeferMessage changed a sent message: %+v", got)
	}
}

func testDeferMessage(t *testing.T, s *store.Store) {
	now := ts.Add(time.Hour)
	enqueue(t, s, "m1", ts)
	enqueue(t, s, "m2", ts.Add(time.Second))
	if got := claim(t, s, now, time.Hour, 10); got != "m1,m2" {
		t.Fatalf("claim = %q", got)
	}
	must(t, s.DeferMessage(ctx, "m1", "smtp RCPT: 451 4.7.1", now.Add(2*time.Minute)))
	got := list1(t, s, "m1")
	if got.Attempts != 1 || got.LastError != "smtp RCPT: 451 4.7.1" || got.SentAt != nil {
		t.Fatalf("after DeferMessage: %+v", got)
	}
	// m2 still holds its hour-long claim; m1's claim is released but its next attempt is not yet due.
	if got := claim(t, s, now.Add(2*time.Minute-time.Microsecond), time.Minute, 10); got != "" {
		t.Fatalf("claim before the next attempt = %q, want nothing", got)
	}
	if got := claim(t, s, now.Add(2*time.Minute), time.Minute, 10); got != "m1" {
		t.Fatalf("claim at the next attempt = %q, want m1", got)
	}

	// Deferring to now releases the claim at once.
	must(t, s.DeferMessage(ctx, "m1", "smtp DATA: 452", now.Add(2*time.Minute)))
	if got := claim(t, s, now.Add(2*time.Minute), time.Minute, 10); got != "m1" {
		t.Fatalf("claim after deferring to now = %q, want m1 (claim released)", got)
	}
	if got := list1(t, s, "m1"); got.Attempts != 2 || got.LastError != "smtp DATA: 452" {
		t.Fatalf("after the second DeferMessage: %+v", got)
	}

	long := strings.Repeat("é", 3000)
	must(t, s.DeferMessage(ctx, "m1", long, now))
	if got := list1(t, s, "m1"); len(got.LastError) > 2000 || !strings.HasPrefix(long, got.LastError) || got.LastError == "" {
		t.Fatalf("long error stored as %d bytes, want a valid prefix of at most 2000", len(got.LastError))
	}
	wantCode(t, s.DeferMessage(ctx, "missing", "x", now), dsrflow.ENOTFOUND)
}

// testClaimConcurrent runs several claimers against one store until the outbox is drained: each message
// is claimed by exactly one of them.
func testClaimConcurrent(t *testing.T, s *store.Store) {
	const n, claimers = 60, 6
	now := ts.Add(time.Hour)
	for i := range n {
		enqueue(t, s, fmt.Sprintf("m%03d", i), ts.Add(time.Duration(i)*time.Millisecond))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range claimers {
		wg.Go(func() {
			for {
				ms, err := s.ClaimOutbox(ctx, now, time.Hour, 4)
				if err != nil {
					t.Errorf("ClaimOutbox: %v", err)
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	var twice []string
	for id, c := range seen {
		if c != 1 {
			twice = append(twice, fmt.Sprintf("%s×%d", id, c))
		}
	}
	sort.Strings(twice)
	if len(seen) != n || len(twice) > 0 {
		t.Fatalf("%d of %d messages claimed; claimed more than once: %v", len(seen), n, twice)
	}
}
