package connlimit_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/connlimit"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAcquireHoldsAcrossThrottles: two throttles over one store (two workers) never hold more than
// max_concurrent slots; a caller that finds them all held waits, and gives up with a BusyError saying
// when to come back only after MaxWait; a slot whose holder stops renewing frees itself.
func TestAcquireHoldsAcrossThrottles(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	conn := connectors.Connector{ID: "crm", Limits: connectors.Limits{MaxConcurrent: 2}}
	a := &connlimit.Throttle{Store: st, MaxWait: 300 * time.Millisecond, Poll: 10 * time.Millisecond, RenewEvery: 50 * time.Millisecond, LeaseTTL: 200 * time.Millisecond}
	b := &connlimit.Throttle{Store: st, MaxWait: 300 * time.Millisecond, Poll: 10 * time.Millisecond, RenewEvery: 50 * time.Millisecond, LeaseTTL: 200 * time.Millisecond}

	var inFlight, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		th := a
		if i%2 == 1 {
			th = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				release, err := th.Acquire(ctx, conn)
				var busy *connectors.BusyError
				if errors.As(err, &busy) {
					continue // the job's retry
				}
				if err != nil {
					t.Errorf("Acquire: %v", err)
					return
				}
				n := inFlight.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(30 * time.Millisecond)
				inFlight.Add(-1)
				release()
				return
			}
		}()
	}
	wg.Wait()
	if m := most.Load(); m != 2 {
		t.Fatalf("%d calls in flight at most, want max_concurrent 2", m)
	}

	// Both slots held by calls that outlast MaxWait (renewed meanwhile): the next caller is busy.
	r1, err := a.Acquire(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.Acquire(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = a.Acquire(ctx, conn)
	var busy *connectors.BusyError
	if !errors.As(err, &busy) || busy.RetryAfter <= 0 || busy.Connector != "crm" {
		t.Fatalf("Acquire with every slot held: %v, want a BusyError with a delay", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("gave up after %v, before MaxWait", waited)
	}
	r1()
	r2()

	// A holder that stops renewing (a killed worker) loses its slot at the lease's expiry.
	dead := &connlimit.Throttle{Store: st, RenewEvery: time.Hour, LeaseTTL: 200 * time.Millisecond}
	if _, err := dead.Acquire(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if _, err := dead.Acquire(ctx, conn); err != nil {
		t.Fatal(err)
	}
	release, err := a.Acquire(ctx, conn) // waits up to MaxWait (300ms) for the 200ms leases to expire
	if err != nil {
		t.Fatalf("a killed holder's slots were not free after their expiry: %v", err)
	}
	release()

	// No max_concurrent: nothing is held.
	free, err := a.Acquire(ctx, connectors.Connector{ID: "open"})
	if err != nil {
		t.Fatal(err)
	}
	free()
}

// TestPaceHoldsTheRate: calls paced through two throttles over one store go at the connector's rate
// after the burst; a call further off than MaxWait is a BusyError.
func TestPaceHoldsTheRate(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	conn := connectors.Connector{ID: "crm", Limits: connectors.Limits{Rate: 20, Burst: 2}}
	a := &connlimit.Throttle{Store: st, MaxWait: 5 * time.Second, Poll: time.Millisecond}
	b := &connlimit.Throttle{Store: st, MaxWait: 5 * time.Second, Poll: time.Millisecond}
	start := time.Now()
	for i := range 12 {
		th := a
		if i%2 == 1 {
			th = b
		}
		if err := th.Pace(ctx, conn); err != nil {
			t.Fatal(err)
		}
	}
	// 2 at once, then 10 at 20 a second: at least 500 ms.
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Fatalf("12 calls at 20/s with a burst of 2 took %v, want about 500ms", took)
	}

	slow := connectors.Connector{ID: "slow", Limits: connectors.Limits{Rate: 0.1}}
	impatient := &connlimit.Throttle{Store: st, MaxWait: 100 * time.Millisecond}
	if err := impatient.Pace(ctx, slow); err != nil {
		t.Fatal(err)
	}
	err := impatient.Pace(ctx, slow)
	var busy *connectors.BusyError
	if !errors.As(err, &busy) || busy.RetryAfter < 5*time.Second {
		t.Fatalf("the second call at 0.1/s: %v, want a BusyError about 10 s off", err)
	}
}
