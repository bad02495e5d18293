package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dsrflow/dsrflow/internal/store"
)

// StoreGaugesLease is the name of the store lease whose holder exports the request index's gauges.
const StoreGaugesLease = "metrics.store_gauges"

// Defaults of StoreGaugesOptions.
const (
	DefaultStoreGaugesEvery = 30 * time.Second
	DefaultStoreGaugesTTL   = 90 * time.Second
)

var leaderDesc = prometheus.NewDesc("dsrflow_store_gauges_leader",
	"1 on the one process that holds the store lease and exports dsrflow_store_up and the dsrflow_requests gauges, 0 on the others; sum() over processes is 1.", nil, nil)

// StoreGaugesOptions configure StoreGauges; zero values take the defaults.
type StoreGaugesOptions struct {
	// Every is how often the lease is renewed (or tried for) and the holder reads the store.
	Every time.Duration
	// TTL is how long a lease lasts without renewal: how long the gauges go missing after their holder
	// dies. It must exceed Every, and the replicas' clock skew.
	TTL time.Duration
	// Holder names this process in the lease (default: host name and a random suffix); never personal data.
	Holder string
	// Now is the clock for the lease and the due dates (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// StoreGauges exports the request index's gauges from exactly one of the replicas sharing a store: the
// holder of the store lease StoreGaugesLease. The holder reads the store once per Every, not per scrape,
// and serves the last reading; every replica exports dsrflow_store_gauges_leader (1 on the holder), so
// sums over replicas count each request once. When the holder stops, it releases the lease and another
// replica takes it at its next refresh; when it dies, another takes it once the TTL has passed.
type StoreGauges struct {
	store *store.Store
	opts  StoreGaugesOptions

	mu          sync.Mutex
	leaderUntil time.Time     // the lease is ours until then; zero when it is not
	snapshot    storeSnapshot // the holder's last reading
}

// NewStoreGauges returns the collector; it exports nothing but dsrflow_store_gauges_leader 0 until Run or
// Refresh has taken the lease.
func NewStoreGauges(st *store.Store, opts StoreGaugesOptions) *StoreGauges {
	if opts.Every <= 0 {
		opts.Every = DefaultStoreGaugesEvery
	}
	if opts.TTL <= opts.Every {
		opts.TTL = max(DefaultStoreGaugesTTL, 3*opts.Every)
	}
	if opts.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		opts.Holder = host + "-" + hex.EncodeToString(b)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &StoreGauges{store: st, opts: opts}
}

// Run refreshes every Every until ctx ends, then releases the lease if it holds it.
func (g *StoreGauges) Run(ctx context.Context) {
	t := time.NewTicker(g.opts.Every)
	defer t.Stop()
	for {
		g.Refresh(ctx)
		select {
		case <-ctx.Done():
			g.release()
			return
		case <-t.C:
		}
	}
}

// Refresh tries for (or renews) the lease and, when this process holds it, reads the store. A store that
// cannot be asked leaves the lease ours until its known expiry, reporting dsrflow_store_up 0; no other
// process can have taken it before then.
func (g *StoreGauges) Refresh(ctx context.Context) {
	now := g.opts.Now()
	actx, cancel := context.WithTimeout(ctx, storeTimeout)
	held, err := g.store.AcquireLease(actx, StoreGaugesLease, g.opts.Holder, g.opts.TTL, now)
	cancel()
	if err != nil {
		g.opts.Logger.Warn("metrics: store gauges lease", "error", err)
		g.mu.Lock()
		g.snapshot = storeSnapshot{}
		g.mu.Unlock()
		return
	}
	if !held {
		g.mu.Lock()
		g.leaderUntil, g.snapshot = time.Time{}, storeSnapshot{}
		g.mu.Unlock()
		return
	}
	snap := readStore(g.store, now, g.opts.Logger)
	g.mu.Lock()
	g.leaderUntil, g.snapshot = now.Add(g.opts.TTL), snap
	g.mu.Unlock()
}

func (g *StoreGauges) release() {
	g.mu.Lock()
	held := !g.leaderUntil.IsZero()
	g.leaderUntil, g.snapshot = time.Time{}, storeSnapshot{}
	g.mu.Unlock()
	if !held {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := g.store.ReleaseLease(ctx, StoreGaugesLease, g.opts.Holder); err != nil {
		g.opts.Logger.Warn("metrics: release store gauges lease", "error", err)
	}
}

// Describe implements prometheus.Collector.
func (g *StoreGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- leaderDesc
	describeStore(ch)
}

// Collect implements prometheus.Collector: no store query, only the last reading.
func (g *StoreGauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	leader := g.opts.Now().Before(g.leaderUntil)
	snap := g.snapshot
	g.mu.Unlock()
	if !leader {
		ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, 1)
	snap.collect(ch)
}
