// Package metrics is what dsrflow's processes expose on GET /metrics, in Prometheus' text format: the
// request index's counts (exported by one front door, the holder of a store lease: StoreGauges), connector
// calls, verification outcomes, the Temporal SDK's own metrics, and the process and Go runtime.
//
// Label values are connector ids, actions, request types, statuses and outcomes only: never personal
// data, and never request or job ids, whose number has no bound.
package metrics

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

// Outcomes of checking a verification code, the values of dsrflow_verifications_total's label.
const (
	VerifyOK      = "ok"      // the code matched
	VerifyWrong   = "wrong"   // a wrong code; attempts remain
	VerifyExpired = "expired" // the code expired, or the request was verified with another code
	VerifyDead    = "dead"    // no attempts left (the wrong guess that used the last one included)
	VerifyNoCode  = "no_code" // no code was ever issued for the request
)

// StatusError is the status label of a connector call that failed (network, HTTP error, invalid answer).
const StatusError = "error"

// connectorCallBuckets reach past the connectors' default 30 s timeout.
var connectorCallBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Registry is one process's metrics. Its methods are safe for concurrent use, and on a nil *Registry they
// do nothing, so parts built without metrics (tests) need no special case.
type Registry struct {
	reg            *prometheus.Registry
	verifications  *prometheus.CounterVec
	connectorJobs  *prometheus.CounterVec
	connectorCalls *prometheus.HistogramVec

	temporalOnce sync.Once
	temporal     *temporalCollector
}

// NewRegistry returns a registry holding the process and Go collectors and dsrflow's event metrics. A
// series appears once its first event is counted.
func NewRegistry() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dsrflow_verifications_total",
			Help: "Verification codes checked by the front door, by outcome (ok, wrong, expired, dead, no_code).",
		}, []string{"outcome"}),
		connectorJobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dsrflow_connector_jobs_total",
			Help: "Calls to connectors (job submissions and polls) by connector, action and the status answered; status error when the call failed.",
		}, []string{"connector", "action", "status"}),
		connectorCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dsrflow_connector_call_seconds",
			Help:    "Duration of calls to connectors, failed ones included, by connector and action.",
			Buckets: connectorCallBuckets,
		}, []string{"connector", "action"}),
	}
	r.reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		r.verifications, r.connectorJobs, r.connectorCalls,
	)
	return r
}

// Register adds a collector, such as NewStoreCollector's.
func (r *Registry) Register(c prometheus.Collector) error {
	return r.reg.Register(c)
}

// Handler serves the registry in Prometheus' text format. A collector that fails leaves out its own
// metrics, not the others.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Verification counts one code check's outcome, one of the Verify constants.
func (r *Registry) Verification(outcome string) {
	if r == nil {
		return
	}
	r.verifications.WithLabelValues(outcome).Inc()
}

// ConnectorCall counts one call to a connector and its duration. status is the job status the connector
// answered, or StatusError.
func (r *Registry) ConnectorCall(connector, action, status string, d time.Duration) {
	if r == nil {
		return
	}
	r.connectorJobs.WithLabelValues(connector, action, status).Inc()
	r.connectorCalls.WithLabelValues(connector, action).Observe(d.Seconds())
}

// TemporalHandler returns the Temporal SDK's metrics handler (client.Options.MetricsHandler), backed by
// this registry. Every call returns a handler over the same metrics. A nil registry returns the SDK's no-op
// handler.
func (r *Registry) TemporalHandler(logger *slog.Logger) client.MetricsHandler {
	if r == nil {
		return client.MetricsNopHandler
	}
	r.temporalOnce.Do(func() {
		r.temporal = newTemporalCollector(logger)
		r.reg.MustRegister(r.temporal)
	})
	return &temporalHandler{c: r.temporal}
}
