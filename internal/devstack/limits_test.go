package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/web"
)

// limitedCRM is a rest connector whose system takes at most 4 jobs at once across every worker.
func limitedCRM(url string) string {
	return `connectors:
  - id: crm
    owner: Example Sales AS
    role: subsidiary
    kind: rest
    actions: [optout]
    identities: [email]
    categories: [user.contact.email]
    max_concurrent: 4
    base_url: ` + url + `
    auth: {type: bearer, token_env: CRM_TOKEN}
    rate_limit: {rps: 1000, burst: 100, concurrency: 100}
    datasets:
      - name: contacts
        read:
          path: /v1/contacts
          query: {email: "{{email}}"}
        records: data.items
        fields: {email: user.contact.email}
        optout:
          method: PATCH
          path: /v1/contacts/{{record.id}}
          body: {marketing: "off"}
`
}

// fakeCRM counts what the connector's system sees: the calls in flight at once (and the most ever),
// the opt-outs applied per contact, and the calls per worker (each worker's runner has its own token).
type fakeCRM struct {
	inFlight, most atomic.Int32
	mu             sync.Mutex
	optouts        map[string]int
	byToken        map[string]int
}

func (f *fakeCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	f.mu.Lock()
	f.byToken[r.Header.Get("Authorization")]++
	f.mu.Unlock()
	time.Sleep(1500 * time.Millisecond) // a slow system: calls pile up beyond the limit unless held
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/contacts":
		email := r.URL.Query().Get("email")
		id := strings.TrimSuffix(email, "@example.com")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"items": []map[string]string{{"id": id, "email": email}}}})
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/v1/contacts/"):
		f.mu.Lock()
		f.optouts[strings.TrimPrefix(r.URL.Path, "/v1/contacts/")]++
		f.mu.Unlock()
		_, _ = w.Write([]byte(`{}`))
	default:
		http.NotFound(w, r)
	}
}

// TestConnectorConcurrencyHoldsAcrossWorkers: 200 opt-outs to a connector with max_concurrent: 4, run by
// two workers (the dev stack's and a second one polling the same task queue with its own runners),
// never have more than 4 calls in flight at the connector's system; every request completes, and every
// contact is opted out exactly once. It sends 40 requests in the unit run; DSR_LIMITS_REQUESTS=200 is
// the full form (a few minutes on a loaded machine).
func TestConnectorConcurrencyHoldsAcrossWorkers(t *testing.T) {
	requests := 40
	if n, err := strconv.Atoi(os.Getenv("DSR_LIMITS_REQUESTS")); err == nil && n > 0 {
		requests = n
	}
	crm := &fakeCRM{optouts: map[string]int{}, byToken: map[string]int{}}
	srv := httptest.NewServer(crm)
	defer srv.Close()

	cfg := testConfig(t, t.TempDir())
	cfg.Demo = false
	cfg.Connectors = filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(cfg.Connectors, []byte(limitedCRM(srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenOf := func(worker string) func(string) string {
		return func(k string) string {
			if k == "CRM_TOKEN" {
				return worker
			}
			return ""
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{Config: cfg, Getenv: tokenOf("worker-1"), NoReconciler: true})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, s)

	// The second worker: its own runners and throttle, the same Temporal and store, as another
	// replica would have.
	throttle := app.NewThrottle(s.Store, nil)
	runners, closeRunners, err := app.OpenRunners(ctx, s.Product.Connectors, tokenOf("worker-2"), nil, throttle)
	if err != nil {
		t.Fatal(err)
	}
	second := app.NewWorker(app.WorkerDeps{Client: s.Client, Store: s.Store, Product: s.Product, Runners: runners, CallbackBase: s.URL(), Throttle: throttle})
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { second.Stop(); _ = closeRunners(ctx) }()

	// Sent by 8 clients at once, so that the jobs arrive faster than the connector takes them.
	c := apiClient{t: t, stack: s}
	ids := make([]string, requests)
	var wg sync.WaitGroup
	for k := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < requests; i += 8 {
				status, data := c.call("POST", "/api/v1/requests", web.NewRequest{Type: "marketing_optout", Email: fmt.Sprintf("p%03d@example.com", i)})
				var out map[string]string
				if status != http.StatusCreated || json.Unmarshal(data, &out) != nil {
					t.Errorf("create request %d: %d %s", i, status, data)
					return
				}
				ids[i] = out["id"]
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// The connector takes 4 jobs of two 1.5 s calls at a time: 0.75 s a job, some waiting long for a
	// slot (there is no queue order), so the wait is for all of them together.
	deadline := time.Now().Add(5*time.Minute + time.Duration(requests)*time.Second) // room for -race on a loaded machine
	for open := ids; len(open) > 0; {
		var still []string
		for _, id := range open {
			v := c.show(id)
			switch {
			case v.Status == "completed":
				if j := jobsByConnector(v)["crm/optout"]; j.Status != "completed" {
					t.Fatalf("request %s: crm optout job %+v, want completed", id, j)
				}
			case v.Closed != nil:
				t.Fatalf("request %s closed %s; events %+v", id, v.Status, v.Events)
			default:
				still = append(still, id)
			}
		}
		if len(still) > 0 && time.Now().After(deadline) {
			t.Fatalf("%d of %d requests not completed in time, e.g. %s", len(still), requests, still[0])
		}
		if open = still; len(open) > 0 {
			time.Sleep(time.Second)
		}
	}

	if most := crm.most.Load(); most > 4 {
		t.Errorf("the connector's system had %d calls in flight at once; max_concurrent is 4", most)
	} else if most < 3 {
		t.Errorf("at most %d call in flight at once: the test did not load the connector", most)
	}
	crm.mu.Lock()
	defer crm.mu.Unlock()
	if len(crm.optouts) != requests {
		t.Errorf("%d contacts opted out, want %d", len(crm.optouts), requests)
	}
	for id, n := range crm.optouts {
		if n != 1 {
			t.Errorf("contact %s opted out %d times, want once", id, n)
		}
	}
	if crm.byToken["Bearer worker-1"] == 0 || crm.byToken["Bearer worker-2"] == 0 {
		t.Errorf("calls per worker %v: both workers should have run jobs", crm.byToken)
	}
	t.Logf("%d requests, at most %d calls in flight, calls per worker %v", requests, crm.most.Load(), crm.byToken)
}
