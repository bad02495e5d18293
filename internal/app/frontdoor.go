package app

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/internal/web"
)

// FrontDoor is a started `starter serve`.
type FrontDoor struct {
	Client client.Client
	Store  *store.Store
	HTTP   *HTTPServer
	// Metrics are served on /metrics: the request index's counts, verifications, the SDK's, the process.
	Metrics *metrics.Registry
	closers Closers
}

// StartFrontDoor connects to Temporal and PostgreSQL and serves the front door. On failure nothing is left
// running.
func StartFrontDoor(ctx context.Context, cfg config.Serve, getenv func(string) string, logger *slog.Logger) (_ *FrontDoor, err error) {
	f := &FrontDoor{}
	product, err := LoadProduct(cfg.Product, getenv, Product{})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = f.Close(context.WithoutCancel(ctx))
		}
	}()
	ln, err := Listen("DSR_HTTP_ADDR", cfg.HTTPAddr)
	if err != nil {
		return nil, err
	}
	f.closers.Add(func(context.Context) error { return ln.Close() })
	f.Metrics = metrics.NewRegistry()
	if f.Client, err = temporalx.Dial(ctx, cfg.Temporal, logger, temporalx.WithMetrics(f.Metrics.TemporalHandler(logger)), temporalx.WithEncryption(product.Keys)); err != nil {
		return nil, err
	}
	f.closers.Add(func(context.Context) error { f.Client.Close(); return nil })
	if f.Store, err = openPostgres(ctx, cfg.DatabaseURL, product.Keys); err != nil {
		return nil, err
	}
	f.closers.Add(func(context.Context) error { return f.Store.Close() })
	if err := CheckKeys(ctx, f.Store, product.Keys); err != nil {
		return nil, err
	}
	// The index's counts are served by one front door, the holder of a store lease, from a reading taken
	// every 30 s: summing over processes counts once, and scrapes do not query the store.
	gauges := metrics.NewStoreGauges(f.Store, metrics.StoreGaugesOptions{Logger: logger})
	if err := f.Metrics.Register(gauges); err != nil {
		return nil, err
	}
	gaugesCtx, stopGauges := context.WithCancel(context.WithoutCancel(ctx))
	gaugesDone := make(chan struct{})
	go func() { defer close(gaugesDone); gauges.Run(gaugesCtx) }()
	f.closers.Add(func(context.Context) error { stopGauges(); <-gaugesDone; return nil }) // releases the lease
	// Reviewers' clicks in Slack become votes, delivered to the waiting workflows like API votes.
	sl, stopSlack, err := StartSlack(cfg.Slack, cfg.Reviewers, review.Dispatcher{Client: f.Client}, logger)
	if err != nil {
		return nil, err
	}
	f.closers.Add(stopSlack) // before the HTTP server's: closers run last first, so serving stops first
	f.HTTP = Serve(ln, web.NewServer(web.Deps{
		Logger: logger, Client: f.Client, Store: f.Store, Key: product.Key, Keys: product.Keys, CodecOrigin: cfg.CodecOrigin, Connectors: product.Connectors, Customers: product.Customers, Metrics: f.Metrics,
		Auth: web.StoreTokens{Store: f.Store}, OIDC: OIDCSignIn(cfg.OIDC, ""), PublicURL: cfg.PublicURL,
		EID: EIDVerification(cfg.EID, cfg.PublicURL, f.Store, product.Key), Sensitive: product.Controller.Verification.Sensitive,
		Purposes: service.PurposesOf(product.Controller), Categories: web.CategoriesOf(product.Controller), RepeatWindow: cfg.RepeatWindow,
		Reviewers: cfg.Reviewers, Slack: slackHandler(sl), TrustedProxies: cfg.TrustedProxies,
		Readiness: FrontDoorReadiness(f.Client, f.Store)}), logger)
	f.closers.Add(f.HTTP.Shutdown)
	return f, nil
}

// URL is the front door's base URL.
func (f *FrontDoor) URL() string { return f.HTTP.URL() }

// Close stops serving, then closes the connections.
func (f *FrontDoor) Close(ctx context.Context) error {
	return f.closers.Close(ctx)
}
