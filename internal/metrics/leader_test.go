package metrics_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/metrics"
)

// clock is a settable clock shared by the replicas of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// replica is one front door's view: its registry with the store gauges.
type replica struct {
	gauges *metrics.StoreGauges
	reg    *metrics.Registry
}

func newReplica(t *testing.T, g *metrics.StoreGauges) replica {
	t.Helper()
	reg := metrics.NewRegistry()
	if err := reg.Register(g); err != nil {
		t.Fatal(err)
	}
	return replica{gauges: g, reg: reg}
}

// exports returns the replica's leader gauge line and whether it exports the request index's gauges.
func (r replica) exports(t *testing.T) (string, []string) {
	t.Helper()
	lines := scrape(t, r.reg.Handler())
	var leader string
	if l := withPrefix(lines, "dsrflow_store_gauges_leader"); len(l) == 1 {
		leader = l[0]
	}
	var store []string
	for _, name := range []string{"dsrflow_store_up", "dsrflow_requests", "dsrflow_requests_overdue", "dsrflow_requests_due_within_7d"} {
		store = append(store, withPrefix(lines, name)...)
	}
	return leader, store
}

// TestStoreGaugesOneReplica: two front doors on one store; exactly one exports the request counts, so a
// sum over the replicas counts each request once. When it dies, the other takes over after the lease's
// expiry, not before.
func TestStoreGaugesOneReplica(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	putRequest(t, st, "dsr_a1", "access", "fulfilling", now.Add(-24*time.Hour), false)
	putRequest(t, st, "dsr_a2", "access", "fulfilling", now.Add(72*time.Hour), false)
	clk := &clock{t: now}
	const ttl = 90 * time.Second
	opts := func(holder string) metrics.StoreGaugesOptions {
		return metrics.StoreGaugesOptions{Every: 30 * time.Second, TTL: ttl, Holder: holder, Now: clk.now}
	}
	a := newReplica(t, metrics.NewStoreGauges(st, opts("door-a")))
	b := newReplica(t, metrics.NewStoreGauges(st, opts("door-b")))

	a.gauges.Refresh(ctx)
	b.gauges.Refresh(ctx)
	leaderA, storeA := a.exports(t)
	leaderB, storeB := b.exports(t)
	if leaderA != "dsrflow_store_gauges_leader 1" || leaderB != "dsrflow_store_gauges_leader 0" {
		t.Fatalf("leader gauges: a %q, b %q; want a 1 and b 0", leaderA, leaderB)
	}
	if want := `dsrflow_requests{status="fulfilling",type="access"} 2`; !slices.Contains(storeA, want) || !slices.Contains(storeA, "dsrflow_store_up 1") {
		t.Fatalf("the holder exports %v, want %q and dsrflow_store_up 1", storeA, want)
	}
	if len(storeB) != 0 {
		t.Fatalf("the other replica exports %v too: a sum would count twice", storeB)
	}

	// The counts are a reading per refresh, not per scrape: a new request shows after the next refresh.
	putRequest(t, st, "dsr_a3", "access", "fulfilling", now.Add(72*time.Hour), false)
	if _, s := a.exports(t); !slices.Contains(s, `dsrflow_requests{status="fulfilling",type="access"} 2`) {
		t.Fatalf("a scrape read the store: %v", s)
	}
	clk.add(30 * time.Second)
	a.gauges.Refresh(ctx)
	b.gauges.Refresh(ctx)
	if _, s := a.exports(t); !slices.Contains(s, `dsrflow_requests{status="fulfilling",type="access"} 3`) {
		t.Fatalf("after a refresh: %v, want 3 access requests fulfilling", s)
	}

	// a dies (no more refreshes, no release). Until its lease expires, nobody takes over.
	clk.add(ttl - time.Second)
	b.gauges.Refresh(ctx)
	if l, s := b.exports(t); l != "dsrflow_store_gauges_leader 0" || len(s) != 0 {
		t.Fatalf("b took over before a's lease expired: %q %v", l, s)
	}
	clk.add(time.Second)
	b.gauges.Refresh(ctx)
	if l, s := b.exports(t); l != "dsrflow_store_gauges_leader 1" || !slices.Contains(s, `dsrflow_requests{status="fulfilling",type="access"} 3`) {
		t.Fatalf("b after a's lease expired: %q %v, want it to export the counts", l, s)
	}
	if l, s := a.exports(t); l != "dsrflow_store_gauges_leader 0" || len(s) != 0 {
		t.Fatalf("a still exports after its lease expired: %q %v", l, s)
	}
}

// TestStoreGaugesHandOverOnStop: a holder that stops releases the lease, so another replica exports the
// counts at its next refresh, long before the lease would have expired.
func TestStoreGaugesHandOverOnStop(t *testing.T) {
	st := openStore(t)
	putRequest(t, st, "dsr_e1", "erasure", "verifying", now.Add(72*time.Hour), false)
	opts := func(holder string) metrics.StoreGaugesOptions {
		return metrics.StoreGaugesOptions{Every: 20 * time.Millisecond, TTL: time.Minute, Holder: holder}
	}
	a := newReplica(t, metrics.NewStoreGauges(st, opts("door-a")))
	b := newReplica(t, metrics.NewStoreGauges(st, opts("door-b")))
	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan struct{})
	go func() { a.gauges.Run(ctxA); close(doneA) }()
	waitLeader(t, a, 5*time.Second)
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	go b.gauges.Run(ctxB)
	time.Sleep(100 * time.Millisecond)
	if l, _ := b.exports(t); l != "dsrflow_store_gauges_leader 0" {
		t.Fatalf("b while a runs: %q", l)
	}
	stopA()
	<-doneA
	if l, s := a.exports(t); l != "dsrflow_store_gauges_leader 0" || len(s) != 0 {
		t.Fatalf("a after it stopped: %q %v", l, s)
	}
	waitLeader(t, b, 5*time.Second) // the TTL is a minute: only the release explains a takeover now
	if _, s := b.exports(t); !slices.Contains(s, `dsrflow_requests{status="verifying",type="erasure"} 1`) {
		t.Fatalf("b exports %v", s)
	}
}

func waitLeader(t *testing.T, r replica, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if l, _ := r.exports(t); l == "dsrflow_store_gauges_leader 1" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not the store gauges' leader after %s", within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
