package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/mail"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/internal/web"
)

// Worker is a started production worker with its health endpoint.
type Worker struct {
	Client client.Client
	Store  *store.Store
	Worker worker.Worker
	// Metrics are served on the health endpoint: the SDK's, the connector calls, the process.
	Metrics *metrics.Registry
	running atomic.Bool
	closers Closers
}

// StartWorker connects to Temporal and PostgreSQL, checks the store's schema is current, and starts the
// worker and its health endpoint. On failure nothing is left running.
func StartWorker(ctx context.Context, cfg config.Worker, getenv func(string) string, logger *slog.Logger) (_ *Worker, err error) {
	w := &Worker{}
	product, err := LoadProduct(cfg.Product, getenv, Product{})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = w.Close(context.WithoutCancel(ctx))
		}
	}()
	// Take the health address first: a clash must fail before anything else starts.
	var ln net.Listener
	if cfg.HealthAddr != "" {
		if ln, err = Listen("DSR_WORKER_ADDR", cfg.HealthAddr); err != nil {
			return nil, err
		}
		w.closers.Add(func(context.Context) error { return ln.Close() })
	}
	w.Metrics = metrics.NewRegistry()
	if w.Client, err = temporalx.Dial(ctx, cfg.Temporal, logger, temporalx.WithMetrics(w.Metrics.TemporalHandler(logger)), temporalx.WithEncryption(product.Keys)); err != nil {
		return nil, err
	}
	w.closers.Add(func(context.Context) error { w.Client.Close(); return nil })
	// The namespace is set up by an administrator (`starter temporal setup`); a worker only checks it, so
	// its credentials need no operator rights.
	if err := CheckTemporal(ctx, w.Client, cfg.Temporal.Namespace); err != nil {
		return nil, err
	}
	if w.Store, err = openPostgres(ctx, cfg.DatabaseURL, product.Keys); err != nil {
		return nil, err
	}
	w.closers.Add(func(context.Context) error { return w.Store.Close() })
	if err := CheckKeys(ctx, w.Store, product.Keys); err != nil {
		return nil, err
	}

	throttle := NewThrottle(w.Store, logger)
	runners, closeRunners, err := OpenRunners(ctx, product.Connectors, getenv, logger, throttle)
	if err != nil {
		return nil, err
	}
	w.closers.Add(closeRunners)
	// The worker only posts to Slack; reviewers' clicks reach the front door.
	sl, stopSlack, err := StartSlack(cfg.Slack, cfg.Reviewers, nil, logger)
	if err != nil {
		return nil, err
	}
	w.closers.Add(stopSlack)
	w.Worker = NewWorker(WorkerDeps{Client: w.Client, Store: w.Store, Logger: logger, Product: product, Runners: runners, CallbackBase: cfg.PublicURL, Metrics: w.Metrics, Notifier: slackNotifier(sl), MailDelivered: true, Throttle: throttle})
	if err := w.Worker.Start(); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	w.running.Store(true)
	w.closers.Add(func(context.Context) error { w.running.Store(false); w.Worker.Stop(); return nil })
	// Requests whose workflow never started or ended outside dsrflow are repaired now and every 30 s.
	w.closers.Add(StartReconciler(w.Store, w.Client, product.Controller, logger))
	// Mail to subjects leaves the outbox over SMTP while the worker runs; Close stops it and waits.
	w.closers.Add((&mail.Dispatcher{Store: w.Store, Sender: mail.NewSMTPSender(cfg.SMTP), Logger: logger}).Start(ctx))
	if ln != nil {
		health := Serve(ln, web.NewServer(web.Deps{Logger: logger, Readiness: Readiness(w.Client, w.Store, Running(&w.running)), Metrics: w.Metrics}), logger)
		w.closers.Add(health.Shutdown)
	}
	return w, nil
}

// Close stops the worker, then its connections, in reverse order of start.
func (w *Worker) Close(ctx context.Context) error {
	return w.closers.Close(ctx)
}

// openPostgres opens the production store, with the key ring that wraps its data keys, and refuses a schema older than this build: migrations are
// applied by `starter migrate`, once, not by every process that starts.
func openPostgres(ctx context.Context, url string, keys *payload.KeyRing) (*store.Store, error) {
	st, err := store.OpenPostgres(ctx, url, store.WithKeys(keys))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := st.CheckSchema(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}
