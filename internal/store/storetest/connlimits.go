package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testConnectorSlots: a connector's max_concurrent slots are never held by more holders than there are
// slots, even when many workers race for them; a released slot is free at once, an expired one (a
// killed worker's) at its expiry, and one connector's slots are not another's.
func testConnectorSlots(t *testing.T, s *store.Store) {
	const ttl = 30 * time.Second
	acquire := func(conn, holder string, at time.Time) string {
		t.Helper()
		name, err := s.AcquireConnectorSlot(ctx, conn, 2, holder, ttl, at)
		if err != nil {
			t.Fatalf("AcquireConnectorSlot(%s, %s): %v", conn, holder, err)
		}
		return name
	}
	_, err := s.AcquireConnectorSlot(ctx, "crm", 0, "a", ttl, ts)
	wantCode(t, err, dsrflow.EINVALID)

	a, b := acquire("crm", "a", ts), acquire("crm", "b", ts)
	if a == "" || b == "" || a == b {
		t.Fatalf("two holders of two free slots got %q and %q", a, b)
	}
	if c := acquire("crm", "c", ts.Add(time.Second)); c != "" {
		t.Fatalf("a third holder got slot %q of two held", c)
	}
	if c := acquire("crm_x", "c", ts); c == "" {
		t.Fatal("another connector's slots were taken by crm's holders")
	}
	must(t, s.ReleaseLease(ctx, a, "a"))
	if c := acquire("crm", "c", ts.Add(time.Second)); c != a {
		t.Fatalf("after a released %q, c got %q", a, c)
	}
	// b stops renewing (its worker was killed): its slot is free at the expiry, not before.
	if d := acquire("crm", "d", ts.Add(ttl-time.Microsecond)); d != "" {
		t.Fatalf("d took %q before b's lease expired", d)
	}
	if d := acquire("crm", "d", ts.Add(ttl)); d != b {
		t.Fatalf("at b's expiry d got %q, want %q", d, b)
	}

	// Racing workers: 4 slots, 12 racers, exactly 4 win.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := map[string]bool{}
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, err := s.AcquireConnectorSlot(ctx, "raced", 4, fmt.Sprintf("racer-%d", i), ttl, ts)
			if err != nil {
				t.Errorf("racing AcquireConnectorSlot: %v", err)
			}
			if name != "" {
				mu.Lock()
				defer mu.Unlock()
				if won[name] {
					t.Errorf("slot %s won twice", name)
				}
				won[name] = true
			}
		}()
	}
	wg.Wait()
	if len(won) != 4 {
		t.Fatalf("12 racers took %d of 4 free slots (%v), want all 4 and no more", len(won), won)
	}
}

// testConnectorRate: a connector's rate lets burst calls go at once, then one per interval, and never
// more however many workers take at the same moment.
func testConnectorRate(t *testing.T, s *store.Store) {
	const interval = 100 * time.Millisecond
	take := func(at time.Time) time.Duration {
		t.Helper()
		wait, err := s.TakeConnectorRate(ctx, "crm", interval, 2, at)
		if err != nil {
			t.Fatalf("TakeConnectorRate: %v", err)
		}
		return wait
	}
	_, err := s.TakeConnectorRate(ctx, "crm", 0, 1, ts)
	wantCode(t, err, dsrflow.EINVALID)
	if w1, w2 := take(ts), take(ts); w1 != 0 || w2 != 0 {
		t.Fatalf("a burst of 2 waited %v and %v, want none", w1, w2)
	}
	if w := take(ts); w != interval {
		t.Fatalf("the third call at once waits %v, want %v", w, interval)
	}
	if w := take(ts.Add(40 * time.Millisecond)); w != 60*time.Millisecond {
		t.Fatalf("40ms later the call waits %v, want 60ms", w)
	}
	if w := take(ts.Add(interval)); w != 0 {
		t.Fatalf("one interval later the call waits %v, want none", w)
	}
	if w := take(ts.Add(interval)); w == 0 {
		t.Fatal("two calls went in the interval after a burst")
	}
	// After a quiet spell the bucket is full again, but no fuller: burst calls, then a wait.
	later := ts.Add(time.Hour)
	if w1, w2, w3 := take(later), take(later), take(later); w1 != 0 || w2 != 0 || w3 == 0 {
		t.Fatalf("after a quiet hour the calls waited %v, %v, %v; want a burst of 2 then a wait", w1, w2, w3)
	}

	// Racing workers at one moment: burst 3, 12 racers, exactly 3 go.
	var wg sync.WaitGroup
	var mu sync.Mutex
	went := 0
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait, err := s.TakeConnectorRate(ctx, "raced", time.Second, 3, ts)
			if err != nil {
				t.Errorf("racing TakeConnectorRate: %v", err)
			}
			if wait == 0 {
				mu.Lock()
				went++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if went != 3 {
		t.Fatalf("%d of 12 racers went at once under a burst of 3", went)
	}
}
