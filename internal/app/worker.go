// Package app assembles dsrflow's parts into the worker and the front door, for the programs in worker/
// and starter/ and for the embedded dev stack.
package app

import (
	"cmp"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// WorkerDeps are what the worker's activities need.
type WorkerDeps struct {
	Client  client.Client
	Store   *store.Store
	Logger  *slog.Logger
	Product Product
	// Runners are the opened connectors, by id (OpenRunners).
	Runners map[string]connectors.Runner
	// CallbackBase is the front door's public base URL, for connector callbacks.
	CallbackBase string
	// MailDelivered: this process's outbox dispatcher sends the subjects' mail (production), so a lift
	// waits until its notice has gone out. The dev stack keeps mail in the outbox (starter outbox), and
	// a queued notice counts as given.
	MailDelivered bool
	// Register, when set, registers more workflows and activities (tests).
	Register func(worker.Registry)
	// Metrics counts the connector calls; nil counts nothing.
	Metrics *metrics.Registry
	// Throttle holds the connector calls to their limits across workers; nil makes one over Store
	// (NewThrottle).
	Throttle connectors.Throttle
	// Notifier shows review cards and alerts to people (Slack); nil means none is configured, and
	// reviews work through the API and `starter` only.
	Notifier dsrflow.Notifier
}

// SetWorkflowCache sizes the process's workflow cache (DSR_WORKFLOW_CACHE); 0 leaves the SDK's default.
// The cache is one per process, made when the first worker in it starts (the embedded server's system
// workers, in worker --dev): later calls change nothing until every worker has stopped.
func SetWorkflowCache(n int) {
	if n > 0 {
		worker.SetStickyWorkflowCacheSize(n)
	}
}

// WorkerStopTimeout is how long a stopping worker waits for its running activities.
const WorkerStopTimeout = 30 * time.Second

// NewWorker returns a worker for dsrflow's task queue with every workflow and activity registered. It is
// not started.
func NewWorker(d WorkerDeps) worker.Worker {
	SetWorkflowCache(d.Product.WorkflowCache)
	// On SIGTERM the worker stops polling and lets running activities finish (or hand back) for up to
	// WorkerStopTimeout before it exits, so a deploy does not cut a connector call in half.
	w := worker.New(d.Client, workflows.TaskQueue, worker.Options{WorkerStopTimeout: WorkerStopTimeout})
	w.RegisterWorkflow(workflows.Request)
	w.RegisterWorkflow(workflows.Retention)
	w.RegisterWorkflow(workflows.Disclosure)
	w.RegisterWorkflow(workflows.DisclosureSubject)
	w.RegisterWorkflow(workflows.RestrictionLift)
	w.RegisterWorkflow(workflows.Routed)
	w.RegisterActivity(&activities.Store{Store: d.Store, RecordRetention: d.Product.RecordRetention})
	w.RegisterActivity(&activities.Verification{Store: d.Store, Key: d.Product.Key, PublicURL: d.CallbackBase})
	throttle := d.Throttle
	if throttle == nil && d.Store != nil {
		throttle = NewThrottle(d.Store, d.Logger)
	}
	conns := &activities.Connectors{Registry: d.Product.Connectors, Runners: d.Runners, Store: d.Store, CallbackBase: d.CallbackBase, Metrics: d.Metrics, Throttle: throttle}
	w.RegisterActivity(conns)
	w.RegisterActivity(&activities.Routing{Connectors: conns, Customers: d.Product.Customers, Store: d.Store, Group: d.Product.Controller.Name})
	w.RegisterActivity(&activities.Answer{Store: d.Store, Controller: d.Product.Controller, Key: d.Product.Key, PublicURL: d.CallbackBase, Connectors: d.Product.Connectors, AwaitDelivery: d.MailDelivered})
	w.RegisterActivity(&activities.Review{Notifier: d.Notifier, Store: d.Store})
	w.RegisterActivity(&activities.Disclosure{Store: d.Store, DPO: cmp.Or(d.Product.Controller.DPO.Email, d.Product.Controller.Contact.Email)})
	w.RegisterActivity(&activities.Suppression{Store: d.Store, Key: d.Product.Key})
	if d.Register != nil {
		d.Register(w)
	}
	return w
}
