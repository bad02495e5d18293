package app

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// pollerFreshness is how recently a worker must have polled for the front door to report workers ok.
const pollerFreshness = 2 * time.Minute

// Readiness is what a worker's /readyz reports: Temporal, the store and the worker in this process, each
// checked its own way; any failing makes the process not ready.
func Readiness(c client.Client, st *store.Store, worker func(context.Context) error) []web.Check {
	return []web.Check{
		{Name: "temporal", Fn: func(ctx context.Context) error { return temporalx.CheckHealth(ctx, c) }},
		{Name: "store", Fn: st.Ping},
		{Name: "worker", Fn: worker},
	}
}

// FrontDoorReadiness is what `starter serve`'s /readyz reports. Only Temporal and the store gate it: the
// front door accepts requests while no worker polls (Temporal queues their tasks), so a rolling deploy of
// the workers must not take every front door out of the load balancer. Whether a worker polled the task
// queue recently is shown as "workers", for information only.
func FrontDoorReadiness(c client.Client, st *store.Store) []web.Check {
	return []web.Check{
		{Name: "temporal", Fn: func(ctx context.Context) error { return temporalx.CheckHealth(ctx, c) }},
		{Name: "store", Fn: st.Ping},
		{Name: "workers", Informational: true, Fn: func(ctx context.Context) error {
			return temporalx.CheckPollers(ctx, c, workflows.TaskQueue, pollerFreshness)
		}},
	}
}

// Running reports a worker in this process as ready while the flag is set.
func Running(flag *atomic.Bool) func(context.Context) error {
	return func(context.Context) error {
		if !flag.Load() {
			return errors.New("worker is not running")
		}
		return nil
	}
}
