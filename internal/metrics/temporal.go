package metrics

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// temporalBuckets cover the SDK's timers, from a local RPC to a long poll (about a minute) and the
// latencies of activities and workflow tasks.
var temporalBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

type metricKind int

const (
	kindCounter metricKind = iota
	kindGauge
	kindTimer
)

func (k metricKind) String() string {
	return [...]string{"counter", "gauge", "timer"}[k]
}

// temporalCollector holds the SDK's metrics. The SDK names a metric once but tags it differently on
// different paths (temporal_request carries a task queue on some and not others), while a Prometheus
// vector has fixed label names; so each metric has one vector per set of tag keys, all exposed under the
// metric's name. It describes nothing, which makes it an unchecked collector: the registry then accepts
// series of one name with different label names.
type temporalCollector struct {
	logger *slog.Logger

	mu    sync.RWMutex
	kinds map[string]metricKind // by sanitized name: the kind a name was first used as
	vecs  map[string]prometheus.Collector
	// dropped remembers the names already logged as used with a second kind.
	dropped map[string]bool
}

func newTemporalCollector(logger *slog.Logger) *temporalCollector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &temporalCollector{logger: logger, kinds: map[string]metricKind{}, vecs: map[string]prometheus.Collector{}, dropped: map[string]bool{}}
}

// Describe implements prometheus.Collector; it sends nothing (see temporalCollector).
func (c *temporalCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *temporalCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, v := range c.vecs {
		v.Collect(ch)
	}
}

// vec returns the vector for the metric name, kind and label names (sorted), creating it on first use.
// It returns nil, once logging why, when the name was first used as another kind: Prometheus cannot
// expose one name as two types.
func (c *temporalCollector) vec(name string, kind metricKind, labels []string) prometheus.Collector {
	key := name + "\x00" + kind.String() + "\x00" + strings.Join(labels, "\x00")
	c.mu.RLock()
	v, ok := c.vecs[key]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.vecs[key]; ok {
		return v
	}
	if first, ok := c.kinds[name]; ok && first != kind {
		if !c.dropped[name] {
			c.dropped[name] = true
			c.logger.Debug("metrics: temporal metric used as two kinds; dropping the second", "metric", name, "kind", first.String(), "dropped", kind.String())
		}
		return nil
	}
	c.kinds[name] = kind
	help := "Temporal SDK " + kind.String() + " " + name + "."
	switch kind {
	case kindCounter:
		v = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	case kindGauge:
		v = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	default:
		v = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: temporalBuckets}, labels)
	}
	c.vecs[key] = v
	return v
}

// temporalHandler implements client.MetricsHandler: the metrics it hands out carry its tags as labels.
type temporalHandler struct {
	c *temporalCollector
	// labels are the sanitized tags; names holds their keys, sorted.
	labels prometheus.Labels
	names  []string
}

var _ client.MetricsHandler = (*temporalHandler)(nil)

// WithTags implements client.MetricsHandler: the new tags are added, replacing those with the same key.
func (h *temporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	labels := maps.Clone(h.labels)
	if labels == nil {
		labels = prometheus.Labels{}
	}
	for k, v := range tags {
		// Prometheus panics on a label value that is not UTF-8.
		labels[sanitizeLabel(k)] = strings.ToValidUTF8(v, "\uFFFD")
	}
	return &temporalHandler{c: h.c, labels: labels, names: slices.Sorted(maps.Keys(labels))}
}

// Counter implements client.MetricsHandler.
func (h *temporalHandler) Counter(name string) client.MetricsCounter {
	v, ok := h.c.vec(sanitizeName(name), kindCounter, h.names).(*prometheus.CounterVec)
	if !ok {
		return client.MetricsNopHandler.Counter(name)
	}
	m := v.With(h.labels)
	return counterFunc(func(d int64) {
		// A Prometheus counter only goes up; it panics on a negative delta.
		if d > 0 {
			m.Add(float64(d))
		}
	})
}

// Gauge implements client.MetricsHandler.
func (h *temporalHandler) Gauge(name string) client.MetricsGauge {
	v, ok := h.c.vec(sanitizeName(name), kindGauge, h.names).(*prometheus.GaugeVec)
	if !ok {
		return client.MetricsNopHandler.Gauge(name)
	}
	return gaugeFunc(v.With(h.labels).Set)
}

// Timer implements client.MetricsHandler; durations are observed in seconds.
func (h *temporalHandler) Timer(name string) client.MetricsTimer {
	v, ok := h.c.vec(sanitizeName(name), kindTimer, h.names).(*prometheus.HistogramVec)
	if !ok {
		return client.MetricsNopHandler.Timer(name)
	}
	m := v.With(h.labels)
	return timerFunc(func(d time.Duration) { m.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// sanitizeName makes a metric name valid for Prometheus, [a-zA-Z_:][a-zA-Z0-9_:]*, replacing other
// characters with '_'.
func sanitizeName(name string) string {
	return sanitize(name, true)
}

// sanitizeLabel makes a label name valid for Prometheus, [a-zA-Z_][a-zA-Z0-9_]* and not starting with
// "__" (reserved), replacing other characters with '_'.
func sanitizeLabel(name string) string {
	s := sanitize(name, false)
	if strings.HasPrefix(s, "__") {
		s = "x" + s[1:]
	}
	return s
}

func sanitize(name string, colon bool) string {
	if name == "" {
		return "_"
	}
	var b strings.Builder
	for i, r := range name {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || colon && r == ':' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			if i == 0 && r >= '0' && r <= '9' {
				b.WriteByte('_')
				b.WriteRune(r)
				continue
			}
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}
