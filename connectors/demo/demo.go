// Package demo runs the demo group of `worker --dev` and the tests (subsidiaries, a partner and a
// payroll processor with two customer tenants): one HTTP server hosting every demo connector under its
// own path prefix (http://127.0.0.1:PORT/crm, ...), each built
// with connectors/sdk, the same protocol code a real connector uses. State lives under a directory and
// survives restarts: each system's data (<id>.json), its answered jobs (<id>.jobs.jsonl), the shared
// effect log (effects.jsonl: one line per job that changed data) and the generated secrets
// (secrets.json, mode 0600).
package demo

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

// Demo is the running demo connectors.
type Demo struct {
	url     string
	reg     *connectors.Registry
	custs   *connectors.Customers
	srv     *http.Server
	served  chan struct{}
	sdks    []*sdk.Server
	stores  []*sdk.FileStore
	effects *effectLog

	mu       sync.Mutex
	failures map[string]failure
	// notices are the signed callbacks the customers with a callback_url received, by customer id.
	notices map[string][]connectors.RoutedNotice
	// frontDoor is dsrflow's front door, which the CRM's import asks (UseFrontDoor).
	frontDoor string
	systems   map[string]*system
	secrets   map[string][]byte

	closeOnce sync.Once
	closeErr  error
	closed    chan struct{}
}

type failure struct{ status, times int }

// Start starts the demo connectors with their state under dir (created if missing). They stop when
// ctx ends or on Close.
func Start(ctx context.Context, dir string) (*Demo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	secrets, err := loadSecrets(filepath.Join(dir, "secrets.json"))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	effects, err := openEffectLog(filepath.Join(dir, EffectsFile))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = effects.close() // the listen error is the one to report
		return nil, fmt.Errorf("demo: %w", err)
	}
	d := &Demo{
		url:      "http://" + ln.Addr().String(),
		effects:  effects,
		failures: map[string]failure{},
		notices:  map[string][]connectors.RoutedNotice{},
		systems:  map[string]*system{},
		secrets:  secrets,
		served:   make(chan struct{}),
		closed:   make(chan struct{}),
	}
	fail := func(err error) (*Demo, error) {
		ln.Close()
		_ = d.closeParts() // err is the one to report
		return nil, fmt.Errorf("demo: %w", err)
	}

	mux := http.NewServeMux()
	var conns []connectors.Connector
	now := time.Now()
	for _, sp := range specs {
		sys, err := openSystem(dir, sp, effects, now)
		if err != nil {
			return fail(err)
		}
		d.systems[sp.id] = sys
		store, err := sdk.FileJobStore(filepath.Join(dir, sp.id+".jobs.jsonl"))
		if err != nil {
			return fail(err)
		}
		d.stores = append(d.stores, store)
		srv := sdk.New(sdk.Options{
			Secret:  secrets[sp.id],
			Jobs:    store,
			Async:   sp.async,
			Backoff: 100 * time.Millisecond,
			Logger:  slog.Default().With("connector", sp.id),
		}, sys)
		d.sdks = append(d.sdks, srv)
		mux.Handle("/"+sp.id+"/", http.StripPrefix("/"+sp.id, d.injectFailures(sp.id, srv)))
		conns = append(conns, connectors.Connector{
			ID: sp.id, Owner: sp.owner, Role: sp.role,
			Settings:   httpkind.Settings{URL: d.url + "/" + sp.id, Secret: secrets[sp.id]},
			Actions:    sp.actions,
			Identities: sp.identities,
			Categories: sp.categories(),
			Retention:  sp.purges,
			Recipients: sp.recipients,
			Keeping:    keeping.For(sp.owner),
		})
	}
	mux.Handle("POST /"+importer+"/import", d.handleImport())
	if d.reg, err = connectors.NewRegistry(conns...); err != nil {
		return fail(err)
	}
	// Nordlys's own system takes routed items by callback too, here on the demo's server.
	custs := slices.Clone(customers)
	for i, c := range custs {
		if c.ID == callbackCustomer {
			custs[i].CallbackURL = d.url + "/customers/" + c.ID + "/callbacks"
			custs[i].SecretEnv, custs[i].Secret = "DEMO_NORDLYS_DSR_SECRET", secrets[customerSecret(c.ID)]
			mux.Handle("POST /customers/"+c.ID+"/callbacks", d.handleNotice(custs[i]))
		}
	}
	if d.custs, err = connectors.NewCustomers(custs...); err != nil {
		return fail(err)
	}
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(d.served)
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("demo connectors stopped", "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			d.Close()
		case <-d.closed:
		}
	}()
	return d, nil
}

// URL is the server's base URL; connector id is the path prefix.
func (d *Demo) URL() string { return d.url }

// Registry returns the demo connectors with their secrets, as connectors.yaml would configure them.
func (d *Demo) Registry() *connectors.Registry { return d.reg }

// Customers returns the business customers whose tenants the demo payroll processor holds, as
// customers.yaml would list them.
func (d *Demo) Customers() *connectors.Customers { return d.custs }

// callbackCustomer is the demo customer whose system takes routed items by signed callback.
const callbackCustomer = "nordlys"

// customerSecret is the key of a customer's callback secret in secrets.json.
func customerSecret(id string) string { return "customer:" + id }

// handleNotice is a customer's callback endpoint: it checks protocol v1's signature with the customer's
// secret and keeps the notice.
func (d *Demo) handleNotice(c connectors.Customer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := connectors.ReadSigned(r, c.Secret, connectors.MaxJobBytes, time.Now())
		if err != nil {
			connectors.WriteError(w, http.StatusUnauthorized, "bad signature")
			return
		}
		var n connectors.RoutedNotice
		if err := json.Unmarshal(body, &n); err != nil || n.Customer != c.ID {
			connectors.WriteError(w, http.StatusBadRequest, "not a routed item notice for "+c.ID)
			return
		}
		d.mu.Lock()
		d.notices[c.ID] = append(d.notices[c.ID], n)
		d.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
}

// Notices returns the routed item notices a demo customer's system received by callback (kept in
// memory), in order.
func (d *Demo) Notices(customer string) []connectors.RoutedNotice {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.notices[customer])
}

// Close stops the server and the background jobs, and closes the files.
func (d *Demo) Close() error {
	d.closeOnce.Do(func() {
		close(d.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.srv.Shutdown(ctx); err != nil {
			d.closeErr = err
			d.srv.Close()
		}
		<-d.served
		if err := d.closeParts(); err != nil && d.closeErr == nil {
			d.closeErr = err
		}
	})
	return d.closeErr
}

func (d *Demo) closeParts() error {
	for _, s := range d.sdks {
		s.Close()
	}
	var errs []error
	for _, s := range d.stores {
		errs = append(errs, s.Close())
	}
	errs = append(errs, d.effects.close())
	return errors.Join(errs...)
}

// Fail makes the next `times` job submissions to the connector answer `status` (503 and 429 with
// Retry-After: 1), before any signature check, as a failing load balancer or system would.
func (d *Demo) Fail(connectorID string, status, times int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if times <= 0 {
		delete(d.failures, connectorID)
		return
	}
	d.failures[connectorID] = failure{status: status, times: times}
}

func (d *Demo) injectFailures(id string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/jobs" {
			d.mu.Lock()
			f, ok := d.failures[id]
			if ok {
				f.times--
				if f.times <= 0 {
					delete(d.failures, id)
				} else {
					d.failures[id] = f
				}
			}
			d.mu.Unlock()
			if ok {
				if f.status == http.StatusServiceUnavailable || f.status == http.StatusTooManyRequests {
					w.Header().Set("Retry-After", "1")
				}
				connectors.WriteError(w, f.status, "injected failure")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Effects counts the effect-log lines per job id: a job that changed data once has 1.
func (d *Demo) Effects() (map[string]int, error) { return d.effects.counts() }

// EffectsFile is the effect log under the demo's state directory.
const EffectsFile = "effects.jsonl"

// ReadEffects counts the effect-log lines per job id in the state directory dir, without starting the
// connectors: the fault drills and `starter demo effects` read it beside (or after) a running stack. A
// directory without a log has no effects.
func ReadEffects(dir string) (map[string]int, error) {
	f, err := os.Open(filepath.Join(dir, EffectsFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demo effects: %w", err)
	}
	defer f.Close()
	return countEffects(f, true)
}

// loadSecrets reads the connectors' secrets and the callback customer's, generating those missing.
func loadSecrets(path string) (map[string][]byte, error) {
	stored := map[string]string{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(data, &stored); err != nil {
			return nil, fmt.Errorf("secrets.json is corrupt")
		}
	}
	changed := false
	ids := []string{customerSecret(callbackCustomer)}
	for _, sp := range specs {
		ids = append(ids, sp.id)
	}
	for _, id := range ids {
		if len(stored[id]) >= connectors.MinSecretBytes {
			continue
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		stored[id] = hex.EncodeToString(b) // text, so it can go into an environment variable
		changed = true
	}
	if changed {
		data, err := json.MarshalIndent(stored, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(path, data); err != nil {
			return nil, err
		}
	}
	out := map[string][]byte{}
	for id, s := range stored {
		out[id] = []byte(s)
	}
	return out, nil
}

// effectLog is the append-only record of jobs that changed data: {job_id, connector, action, counts}.
// Lines hold no identities.
type effectLog struct {
	mu sync.Mutex
	f  *os.File
}

type effect struct {
	JobID     string         `json:"job_id"`
	Connector string         `json:"connector"`
	Action    dsrflow.Action `json:"action"`
	Counts    map[string]int `json:"counts"`
	At        string         `json:"at"`
}

func openEffectLog(path string) (*effectLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &effectLog{f: f}, nil
}

func (l *effectLog) add(connectorID string, job connectors.Job, counts map[string]int) error {
	line, err := json.Marshal(effect{JobID: job.ID, Connector: connectorID, Action: job.Action, Counts: counts,
		At: time.Now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("effect log: %w", err)
	}
	return l.f.Sync()
}

func (l *effectLog) counts() (map[string]int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return countEffects(l.f, false)
}

// countEffects counts the lines per job id. A reader beside a running (or killed) writer may meet a
// last line still being written: torn says to skip an unterminated last line rather than fail.
func countEffects(r io.Reader, torn bool) (map[string]int, error) {
	out := map[string]int{}
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			if len(line) == 0 || torn {
				return out, nil
			}
		} else if err != nil {
			return nil, err
		}
		var e effect
		if jerr := json.Unmarshal(line, &e); jerr != nil {
			return nil, fmt.Errorf("effect log line %d is corrupt", n)
		}
		out[e.JobID]++
		if err == io.EOF {
			return out, nil
		}
	}
}

func (l *effectLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
