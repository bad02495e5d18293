// Package web is dsrflow's front door: the JSON API, the support console, the privacy center, connector
// callbacks and Slack's interactivity. Every request operation goes through a dsrflow.RequestService
// (internal/service); handlers decode, call it as the signed-in principal and encode. NewServer takes
// every dependency explicitly; all routes are in routes.go.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Check is one part the front door depends on; Fn returns nil when the part is ready.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
	// Informational checks are reported in /readyz's body, prefixed "informational: " when they fail, but
	// never make it answer 503: the process serves without them.
	Informational bool
}

// Deps are the front door's dependencies. Only Logger and Readiness are needed for /healthz and
// /readyz; the API needs the rest.
type Deps struct {
	Logger *slog.Logger
	// Readiness lists the parts /readyz reports, in order.
	Readiness []Check
	// Service is what the API, the console and the privacy center call. When nil, it is the service over
	// Client and Store (internal/service) with this front door's Key, Reviewers, Metrics, Now and
	// PublicURL.
	Service dsrflow.RequestService
	Client  client.Client
	Store   *store.Store
	Auth    Authenticator
	// Key hashes subjects' emails and verification codes.
	Key secret.Key
	// Keys decrypt payloads for /codec; CodecOrigin is the Temporal UI origin allowed to call it.
	Keys        *payload.KeyRing
	CodecOrigin string
	// Connectors verifies connector callbacks.
	Connectors *connectors.Registry
	// Customers name routed items' customers (customers.yaml); nil when there is none.
	Customers *connectors.Customers
	Now       func() time.Time
	// Metrics, when set, is served on /metrics and counts verification outcomes.
	Metrics *metrics.Registry

	// Slack, when set, serves Slack's interactivity requests at POST /slack/interactions (slack.Handler);
	// it checks Slack's signatures itself.
	Slack http.Handler
	// DevSignIn is the dev token, offered on the console's sign-in page to visitors on loopback; set only
	// by `worker --dev` when the front door listens on loopback.
	DevSignIn string
	// OIDC, when set, offers single sign-on on the console's sign-in page.
	OIDC *OIDC
	// EID, when set, offers eID verification on the privacy center's status pages (privacy_eid.go).
	EID *EID
	// Sensitive are the request types the controller marks sensitive (controller.yaml): the privacy
	// center and the service refuse an emailed code for them.
	Sensitive dsrflow.Sensitive
	// Reviewers are the reviewer groups; an API or console vote's groups are its principal's (token:NAME,
	// oidc:SUB), never those of a Slack member of the same name.
	Reviewers dsrflow.Reviewers
	// TrustedProxies are the peers whose X-Forwarded-For names the client (DSR_TRUSTED_PROXIES): the
	// privacy center's limits count that client. From any other peer the header is ignored.
	TrustedProxies []netip.Prefix
	// PublicURL is the front door's public base URL, the only base of links mailed to subjects and shown
	// in cards (`starter serve` refuses to start without it; `worker --dev` gives its listen address).
	PublicURL string
	// SubmitFloor is the least time the privacy center takes to answer a valid submission, whatever the
	// address's state (DefaultSubmitFloor when zero; none when negative).
	SubmitFloor time.Duration
	// Purposes are the controller's declared purposes (controller.yaml): the choices of the consent
	// withdrawal forms and the ids the service accepts; empty: the built-in demo controller's.
	Purposes []service.Purpose
	// Categories are the data-category prefixes the controller declares (CategoriesOf): the privacy
	// center's correction form offers the rows they cover; empty: the built-in demo controller's.
	Categories []string
	// RepeatWindow is the service's repeat-request window (DSR_REPEAT_WINDOW); zero: the default.
	RepeatWindow time.Duration
}

type server struct {
	Deps
	mux *http.ServeMux
}

// NewServer returns the front door's handler.
func NewServer(deps Deps) http.Handler {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	// The pages and their texts are parsed here, once per process, so a broken template or texts file
	// stops a front door at start-up, as parsing at package init did, without costing every program
	// that links this package (`starter list`) the parse.
	pages()
	texts()
	s := &server{Deps: deps, mux: http.NewServeMux()}
	s.routes()
	return s.recoverPanics(s.mux)
}

// readyzTimeout bounds each readiness check so a hung dependency answers 503, not a hung probe.
const readyzTimeout = 3 * time.Second

func (s *server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func (s *server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		results := make(map[string]string, len(s.Readiness))
		status := http.StatusOK
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range s.Readiness {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(r.Context(), readyzTimeout)
				defer cancel()
				result, failed := "ok", false
				if err := c.Fn(ctx); err != nil {
					result, failed = err.Error(), !c.Informational
					if c.Informational {
						result = "informational: " + result
					}
				}
				mu.Lock()
				results[c.Name] = result
				if failed {
					status = http.StatusServiceUnavailable
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		writeJSON(w, status, results)
	})
}

func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("handler panic", "path", r.URL.Path, "panic", v)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// svc is the request service the handlers call.
func (s *server) svc() dsrflow.RequestService {
	if s.Service != nil {
		return s.Service
	}
	return s.core()
}

// core is the service over this front door's own dependencies. It holds no state, so it is built per
// call from Deps as they are now.
func (s *server) core() *service.Service {
	return &service.Service{Client: s.Client, Store: s.Store, Key: s.Key, Reviewers: s.Reviewers, Metrics: s.Metrics,
		Logger: s.Logger, Now: s.Now, PublicURL: s.PublicURL, Purposes: s.Purposes, RepeatWindow: s.RepeatWindow, Connectors: s.Connectors,
		Customers: s.Customers, Sensitive: s.Sensitive, EID: s.EID != nil}
}

func (s *server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// fail answers with the error; unexpected ones are logged (they carry no personal data, see STYLE.md).
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if dsrflow.ErrorCode(userError(err)) == dsrflow.EINTERNAL {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeError(w, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
