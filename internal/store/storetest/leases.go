package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testLeases: a lease has at most one holder; it renews its own, takes over another's only after expiry,
// and of holders racing for a free or an expired lease exactly one wins.
func testLeases(t *testing.T, s *store.Store) {
	const ttl = 30 * time.Second
	acquire := func(name, holder string, at time.Time) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, name, holder, ttl, at)
		if err != nil {
			t.Fatalf("AcquireLease(%s, %s): %v", name, holder, err)
		}
		return ok
	}
	_, err := s.AcquireLease(ctx, "", "a", ttl, ts)
	wantCode(t, err, dsrflow.EINVALID)
	_, err = s.AcquireLease(ctx, "gauges", "a", 0, ts)
	wantCode(t, err, dsrflow.EINVALID)

	if !acquire("gauges", "a", ts) {
		t.Fatal("a free lease was refused")
	}
	if acquire("gauges", "b", ts.Add(ttl-time.Microsecond)) {
		t.Fatal("b took a's lease before it expired")
	}
	if !acquire("gauges", "a", ts.Add(10*time.Second)) { // renewed: now held until ts+10s+ttl
		t.Fatal("a could not renew its own lease")
	}
	if acquire("gauges", "b", ts.Add(ttl)) {
		t.Fatal("b took a's renewed lease at its old expiry")
	}
	if !acquire("other", "b", ts) {
		t.Fatal("another lease's name was refused: names are independent")
	}
	if !acquire("gauges", "b", ts.Add(10*time.Second+ttl)) {
		t.Fatal("b could not take over a's lease at its expiry")
	}
	if acquire("gauges", "a", ts.Add(10*time.Second+ttl)) {
		t.Fatal("a still holds the lease b took over")
	}

	// Releasing: another's lease stays put; one's own is free at once.
	must(t, s.ReleaseLease(ctx, "gauges", "a"))
	if acquire("gauges", "a", ts.Add(11*time.Second+ttl)) {
		t.Fatal("a's release freed b's lease")
	}
	must(t, s.ReleaseLease(ctx, "gauges", "b"))
	if !acquire("gauges", "a", ts.Add(11*time.Second+ttl)) {
		t.Fatal("a released lease was refused")
	}

	race := func(name string, at time.Time) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.AcquireLease(ctx, name, fmt.Sprintf("racer-%d", i), ttl, at)
				if err != nil {
					t.Errorf("racing AcquireLease: %v", err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return won
	}
	if won := race("raced", ts); won != 1 {
		t.Fatalf("%d of 8 racers took a free lease, want 1", won)
	}
	if won := race("raced", ts.Add(ttl)); won != 1 {
		t.Fatalf("%d of 8 racers took the expired lease, want 1", won)
	}
}
