package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dsrflow/dsrflow/internal/store"
)

// storeTimeout bounds one reading of the store: a slow store must not hold a scrape past Prometheus'
// timeout, nor a refresh past its interval.
const storeTimeout = 3 * time.Second

// dueSoon is the horizon of dsrflow_requests_due_within_7d.
const dueSoon = 7 * 24 * time.Hour

var (
	storeUpDesc = prometheus.NewDesc("dsrflow_store_up",
		"1 when the store answered the last reading of the request index, 0 when it did not (the request metrics are then left out).", nil, nil)
	requestsDesc = prometheus.NewDesc("dsrflow_requests",
		"Requests in the index by type and status.", []string{"type", "status"}, nil)
	overdueDesc = prometheus.NewDesc("dsrflow_requests_overdue",
		"Open requests whose due date has passed.", nil, nil)
	dueWithin7dDesc = prometheus.NewDesc("dsrflow_requests_due_within_7d",
		"Open requests due within the next 7 days, overdue ones included (as starter list --due-within 7d).", nil, nil)
	refusalsDesc = prometheus.NewDesc("dsrflow_refusals",
		"Requests refused by a reviewer or the DPO, by ground (manifestly_unfounded, manifestly_excessive, identity_not_confirmed, other).", []string{"ground"}, nil)
)

// storeSnapshot is one reading of the request index.
type storeSnapshot struct {
	up            bool
	counts        map[string]map[string]int
	overdue, soon int
	refusals      map[string]int
}

// readStore reads the request index at now. Every query runs before anything is kept, so a snapshot
// holds either all of the request metrics or none (up false).
func readStore(st *store.Store, now time.Time, logger *slog.Logger) storeSnapshot {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	counts, err := st.CountRequests(ctx)
	var overdue, soon int
	if err == nil {
		overdue, soon, err = st.CountOpenDue(ctx, now, now.Add(dueSoon))
	}
	var refusals map[string]int
	if err == nil {
		refusals, err = st.CountRefusals(ctx)
	}
	if err != nil {
		logger.Warn("metrics: store query failed", "error", err)
		return storeSnapshot{}
	}
	return storeSnapshot{up: true, counts: counts, overdue: overdue, soon: soon, refusals: refusals}
}

func describeStore(ch chan<- *prometheus.Desc) {
	ch <- storeUpDesc
	ch <- requestsDesc
	ch <- overdueDesc
	ch <- dueWithin7dDesc
	ch <- refusalsDesc
}

func (s storeSnapshot) collect(ch chan<- prometheus.Metric) {
	if !s.up {
		ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 1)
	for typ, byStatus := range s.counts {
		for status, n := range byStatus {
			ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.GaugeValue, float64(n), typ, status)
		}
	}
	ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(s.overdue))
	ch <- prometheus.MustNewConstMetric(dueWithin7dDesc, prometheus.GaugeValue, float64(s.soon))
	for ground, n := range s.refusals {
		ch <- prometheus.MustNewConstMetric(refusalsDesc, prometheus.GaugeValue, float64(n), ground)
	}
}

// storeCollector reads the request index at scrape time: for a process that is alone on its store
// (`worker --dev`, whose data directory is locked to it). Replicas sharing a store use StoreGauges.
type storeCollector struct {
	store  *store.Store
	now    func() time.Time
	logger *slog.Logger
}

// NewStoreCollector returns the collector of dsrflow_requests, dsrflow_requests_overdue,
// dsrflow_requests_due_within_7d and dsrflow_store_up, read at every scrape. now is the clock for due
// dates (nil: time.Now); a failed query is logged to logger (nil: not logged) and reported as
// dsrflow_store_up 0.
func NewStoreCollector(st *store.Store, now func() time.Time, logger *slog.Logger) prometheus.Collector {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &storeCollector{store: st, now: now, logger: logger}
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) { describeStore(ch) }

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	readStore(c.store, c.now(), c.logger).collect(ch)
}
