// Package devstack runs the whole of dsrflow in one process for `worker --dev` and the end-to-end tests:
// an embedded Temporal server persisted under the data directory, the SQLite store, the worker and the
// front door. A second start on the same directory resumes what the first left.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devserver"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// Namespace is the embedded server's namespace.
const Namespace = "default"

// Files under the data directory.
const (
	TemporalFile   = "temporal.db"
	StoreFile      = config.DevStoreFile
	TokenFile      = config.DevTokenFile
	lockFile       = "lock"
	keyFile        = config.DevKeyFile
	masterKeysFile = "master-keys"
	demoDir        = config.DevDemoDir
	temporalLog    = "temporal.log"
)

// Options configure a dev stack.
type Options struct {
	Config config.Dev
	Logger *slog.Logger
	// Out receives the lines that say where each part listens; nil discards them.
	Out io.Writer
	// Register adds workflows and activities to the worker (tests).
	Register func(worker.Registry)
	// Getenv reads connector secrets named in DSR_CONNECTORS' file; nil reads nothing.
	Getenv func(string) string
	// Reviewers are the reviewer groups API votes are checked against (members: token names).
	Reviewers dsrflow.Reviewers
	// Notifier shows review cards and alerts; nil means none (reviews through the API only).
	Notifier dsrflow.Notifier
	// NoReconciler leaves out the background reconciler (tests that run `starter reconcile` themselves
	// and must not race it).
	NoReconciler bool
	// ExternalTemporal, when set, is the host:port of a Temporal frontend to use instead of starting the
	// embedded server (the bench's cluster figures); Config.TemporalAddr is then unused.
	ExternalTemporal string
}

// Stack is a running dev stack.
type Stack struct {
	DataDir  string
	Temporal *devserver.Server
	Client   client.Client
	Store    *store.Store
	Worker   worker.Worker
	HTTP     *app.HTTPServer
	// Token is the development API token, also in DataDir/dev-token.
	Token string
	// Demo runs the demo subsidiaries; nil when disabled or replaced by DSR_CONNECTORS.
	Demo    *demo.Demo
	Product app.Product
	// Metrics is the one registry of the worker and the front door, served on the front door's /metrics.
	Metrics *metrics.Registry

	lock          *os.File
	workerRunning atomic.Bool
	closers       app.Closers
}

// Start starts every part, in dependency order. On failure it stops what it started and returns an error
// that says which part failed; a busy address names the variable that sets it.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	cfg := opts.Config
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	s := &Stack{DataDir: cfg.DataDir}
	defer func() {
		if err != nil {
			_ = s.Close(context.WithoutCancel(ctx))
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, &config.Error{Var: "DSR_DATA_DIR", Problem: err.Error()}
	}
	if err := s.lockDataDir(); err != nil {
		return nil, err
	}
	// Take the front door's address first: a clash must fail before anything else starts.
	ln, err := app.Listen("DSR_HTTP_ADDR", cfg.HTTPAddr)
	if err != nil {
		return nil, err
	}
	s.closers.Add(func(context.Context) error { return ln.Close() })

	// The embedded server's own system workers create the process's one workflow cache: its size is
	// set before they start, or it stays at the SDK's 10,000.
	app.SetWorkflowCache(cfg.WorkflowCache)
	temporalAddr := opts.ExternalTemporal
	if temporalAddr == "" {
		srv, err := devserver.Start(devserver.Options{
			DatabaseFile:     filepath.Join(cfg.DataDir, TemporalFile),
			FrontendAddr:     cfg.TemporalAddr,
			Namespace:        Namespace,
			SearchAttributes: searchAttributeTypes(),
			LogFile:          filepath.Join(cfg.DataDir, temporalLog),
		})
		var inUse *devserver.AddrInUseError
		if errors.As(err, &inUse) {
			return nil, &app.AddrError{Var: "DSR_TEMPORAL_ADDR", Addr: inUse.Addr, Err: inUse.Err}
		}
		if err != nil {
			return nil, fmt.Errorf("embedded temporal: %w", err)
		}
		s.Temporal = srv
		s.closers.Add(func(context.Context) error { return srv.Stop() })
		temporalAddr = srv.Addr()
	}

	keys, err := devKeys(cfg)
	if err != nil {
		return nil, err
	}
	s.Metrics = metrics.NewRegistry()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:         temporalAddr,
		Namespace:        Namespace,
		Logger:           sdklog.NewStructuredLogger(logger),
		MetricsHandler:   s.Metrics.TemporalHandler(logger),
		DataConverter:    payload.DataConverter(keys),
		FailureConverter: payload.FailureConverter(keys),
	})
	if err != nil {
		if opts.ExternalTemporal != "" {
			return nil, fmt.Errorf("connect to temporal at %s: %w", temporalAddr, err)
		}
		return nil, fmt.Errorf("connect to embedded temporal: %w", err)
	}
	s.Client = c
	s.closers.Add(func(context.Context) error { c.Close(); return nil })
	// The dev stack is its own administrator: it sets the namespace up as `starter temporal setup` does.
	if _, err := app.SetupTemporal(ctx, c, Namespace); err != nil {
		return nil, err
	}

	st, err := store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, StoreFile), store.WithKeys(keys))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.Store = st
	s.closers.Add(func(context.Context) error { return st.Close() })
	if err := st.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("store migrations: %w", err)
	}
	if err := app.CheckKeys(ctx, st, keys); err != nil {
		return nil, err
	}
	if err := s.Metrics.Register(metrics.NewStoreCollector(st, nil, logger)); err != nil {
		return nil, err
	}

	if s.Token, err = devToken(filepath.Join(cfg.DataDir, TokenFile)); err != nil {
		return nil, err
	}
	if err := s.loadProduct(ctx, cfg, opts.Getenv, keys); err != nil {
		return nil, err
	}
	publicURL := "http://" + ln.Addr().String()

	throttle := app.NewThrottle(st, logger)
	runners, closeRunners, err := app.OpenRunners(ctx, s.Product.Connectors, opts.Getenv, logger, throttle)
	if err != nil {
		return nil, err
	}
	s.closers.Add(closeRunners)
	// Reviewer groups from DSR_REVIEWERS, unless the caller (a test) gives its own; Slack when configured.
	reviewers := cfg.Reviewers
	if opts.Reviewers.Groups != nil {
		reviewers = opts.Reviewers
	}
	sl, stopSlack, err := app.StartSlack(cfg.Slack, reviewers, review.Dispatcher{Client: c}, logger)
	if err != nil {
		return nil, err
	}
	s.closers.Add(stopSlack)
	notifier, slackHandler := app.SlackParts(sl)
	if opts.Notifier != nil {
		notifier = opts.Notifier
	}
	w := app.NewWorker(app.WorkerDeps{Client: c, Store: st, Logger: logger, Product: s.Product, Runners: runners, CallbackBase: publicURL, Register: opts.Register, Metrics: s.Metrics, Notifier: notifier, Throttle: throttle})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	s.Worker = w
	s.workerRunning.Store(true)
	s.closers.Add(func(context.Context) error { s.workerRunning.Store(false); w.Stop(); return nil })
	// Requests whose workflow never started or ended outside dsrflow are repaired now and every
	// reconcile.Interval.
	if !opts.NoReconciler {
		s.closers.Add(app.StartReconciler(st, c, s.Product.Controller, logger))
	}

	deps := web.Deps{
		Logger: logger, Client: c, Store: st, Key: s.Product.Key, Keys: keys, CodecOrigin: cfg.CodecOrigin, Connectors: s.Product.Connectors, Customers: s.Product.Customers, Auth: web.AnyOf{web.DevToken(s.Token), web.StoreTokens{Store: st}},
		Readiness: app.Readiness(c, st, app.Running(&s.workerRunning)), Metrics: s.Metrics, PublicURL: publicURL,
		Reviewers: reviewers, Slack: slackHandler, OIDC: app.OIDCSignIn(cfg.OIDC, publicURL), TrustedProxies: cfg.TrustedProxies,
		Purposes: service.PurposesOf(s.Product.Controller), Categories: web.CategoriesOf(s.Product.Controller), RepeatWindow: cfg.RepeatWindow,
		EID: app.EIDVerification(cfg.EID, publicURL, st, s.Product.Key), Sensitive: s.Product.Controller.Verification.Sensitive,
	}
	if ip := net.ParseIP(ln.Addr().(*net.TCPAddr).IP.String()); ip != nil && ip.IsLoopback() {
		deps.DevSignIn = s.Token // offered on the console's sign-in page, to this machine only
	}
	h := web.NewServer(deps)
	if s.Demo != nil {
		s.Demo.UseFrontDoor(publicURL) // the demo CRM's imports ask the suppression list
	}
	s.HTTP = app.Serve(ln, h, logger)
	s.closers.Add(s.HTTP.Shutdown)

	if opts.Out != nil {
		fmt.Fprintf(opts.Out, "dsrflow dev stack, data in %s\n", cfg.DataDir)
		fmt.Fprintf(opts.Out, "  temporal  %s (namespace %s, %s)\n", temporalAddr, Namespace, filepath.Join(cfg.DataDir, TemporalFile))
		fmt.Fprintf(opts.Out, "  store     sqlite %s\n", filepath.Join(cfg.DataDir, StoreFile))
		fmt.Fprintf(opts.Out, "  worker    task queue %s\n", workflows.TaskQueue)
		if s.Demo != nil {
			fmt.Fprintf(opts.Out, "  demo      %d connectors at %s (state in %s)\n", len(s.Product.Connectors.List()), s.Demo.URL(), filepath.Join(cfg.DataDir, demoDir))
		}
		fmt.Fprintf(opts.Out, "  http      %s (dev token in %s)\n", s.HTTP.URL(), filepath.Join(cfg.DataDir, TokenFile))
		fmt.Fprintf(opts.Out, "  console   %s/console, privacy center %s/privacy\n", s.HTTP.URL(), s.HTTP.URL())
	}
	return s, nil
}

// loadProduct reads the product's configuration; the key lives in the data directory and, unless
// DSR_DEMO=0, the demo subsidiaries run beside the connectors of DSR_CONNECTORS' file.
func (s *Stack) loadProduct(ctx context.Context, cfg config.Dev, getenv func(string) string, keys *payload.KeyRing) error {
	key, err := secret.LoadOrCreate(filepath.Join(cfg.DataDir, keyFile))
	if err != nil {
		return fmt.Errorf("hmac key: %w", err)
	}
	base := app.Product{Key: key, Keys: keys}
	if cfg.Demo {
		// The demo lives until Close, not until the start-up context ends.
		d, err := demo.Start(context.WithoutCancel(ctx), filepath.Join(cfg.DataDir, demoDir))
		if err != nil {
			return fmt.Errorf("demo connectors: %w", err)
		}
		s.Demo = d
		s.closers.Add(func(context.Context) error { return d.Close() })
		base.Connectors = d.Registry()
		base.Customers = d.Customers() // the payroll processor's customers
	}
	s.Product, err = app.LoadProduct(cfg.Product, getenv, base)
	return err
}

// devKeys returns the payload key ring: DSR_MASTER_KEYS when set, else the data directory's own key.
func devKeys(cfg config.Dev) (*payload.KeyRing, error) {
	if cfg.MasterKeys != "" {
		keys, err := payload.ParseKeyRing(cfg.MasterKeys)
		if err != nil {
			return nil, &config.Error{Var: "DSR_MASTER_KEYS", Problem: err.Error()}
		}
		return keys, nil
	}
	keys, err := payload.LoadOrCreateKeyRing(filepath.Join(cfg.DataDir, masterKeysFile))
	if err != nil {
		return nil, fmt.Errorf("payload keys: %w", err)
	}
	return keys, nil
}

// URL is the front door's base URL.
func (s *Stack) URL() string { return s.HTTP.URL() }

// Close stops every part in reverse order of start. It is safe to call more than once.
func (s *Stack) Close(ctx context.Context) error {
	err := s.closers.Close(ctx)
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		_ = s.lock.Close()
		s.lock = nil
	}
	return err
}

// lockDataDir keeps a second process off the same SQLite files, which two servers would corrupt.
func (s *Stack) lockDataDir() error {
	f, err := os.OpenFile(filepath.Join(s.DataDir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return &config.Error{Var: "DSR_DATA_DIR", Problem: err.Error()}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return &config.Error{Var: "DSR_DATA_DIR", Problem: fmt.Sprintf("%s is in use by another dsrflow process", s.DataDir)}
	}
	s.lock = f
	return nil
}

// devToken reads the development API token, creating it (mode 0600) on first start.
func devToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if err := os.Chmod(path, 0o600); err != nil {
			return "", fmt.Errorf("dev token: %w", err)
		}
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("dev token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	tok := "dsr_dev_" + base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dev token: %w", err)
	}
	return tok, nil
}

func searchAttributeTypes() map[string]enumspb.IndexedValueType {
	m := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributes() {
		m[k.GetName()] = k.GetValueType()
	}
	return m
}
