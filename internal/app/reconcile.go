package app

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/reconcile"
	"github.com/dsrflow/dsrflow/internal/store"
)

// StartReconciler runs the reconciler beside a worker: every open request at once, then what changed
// every reconcile.Interval. Several workers may run it together: its writes are idempotent. The
// returned closer stops it and waits.
func StartReconciler(st *store.Store, c client.Client, controller answer.Controller, logger *slog.Logger) func(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r := &reconcile.Reconciler{Store: st, Temporal: reconcile.Client{Client: c}, Controller: controller, Logger: logger}
	go func() {
		defer close(done)
		r.Run(ctx, reconcile.Interval)
	}()
	return func(wait context.Context) error {
		cancel()
		select {
		case <-done:
		case <-wait.Done():
		}
		return nil
	}
}

// LoadController reads the controller configuration the way the worker does (DSR_CONTROLLER, or the
// built-in one, with DSR_RECORD_RETENTION's period), for programs that compose mail without the rest of
// the product: `starter reconcile`.
func LoadController(path, recordRetention string) (answer.Controller, error) {
	var p Product
	var err error
	if path != "" {
		if p.Controller, err = answer.LoadController(path); err != nil {
			return answer.Controller{}, &config.Error{Var: "DSR_CONTROLLER", Problem: err.Error()}
		}
	} else if p.Controller, err = answer.ParseController(dsrflow.DemoController); err != nil {
		return answer.Controller{}, fmt.Errorf("built-in controller configuration: %w", err)
	}
	if err := p.setRecordRetention(recordRetention); err != nil {
		return answer.Controller{}, err
	}
	return p.Controller, nil
}
