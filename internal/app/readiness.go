package app

import (
	"context"
	"errors"
	"sync/atomic"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/internal/web"
)

// Readiness is what /readyz reports: Temporal, the store and the worker, each checked its own way.
func Readiness(c client.Client, st *store.Store, worker func(context.Context) error) []web.Check {
	return []web.Check{
		{Name: "temporal", Fn: func(ctx context.Context) error { return temporalx.CheckHealth(ctx, c) }},
		{Name: "store", Fn: st.Ping},
		{Name: "worker", Fn: worker},
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
