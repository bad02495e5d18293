package activities_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// customerEndpoint is a customer's callback receiver over real HTTP: it verifies protocol v1's
// signature with the customer's secret and answers the queued statuses in turn (200 once they run out).
type customerEndpoint struct {
	secret []byte
	mu     sync.Mutex
	codes  []int
	got    []connectors.RoutedNotice
	keys   []string
	bodies []string
}

func (e *customerEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := connectors.ReadSigned(r, e.secret, 1<<20, time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var n connectors.RoutedNotice
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got, e.keys, e.bodies = append(e.got, n), append(e.keys, r.Header.Get("Idempotency-Key")), append(e.bodies, string(body))
	code := http.StatusOK
	if len(e.codes) > 0 {
		code, e.codes = e.codes[0], e.codes[1:]
	}
	w.WriteHeader(code)
}

func callbackCustomer(t *testing.T, url string, secret []byte) *connectors.Customers {
	t.Helper()
	cs, err := connectors.NewCustomers(connectors.Customer{ID: "acme", LegalName: "Acme Manufacturing Ltd", Email: "privacy@acme.example",
		DeadlineDays: 10, CallbackURL: url, SecretEnv: "ACME_DSR_SECRET", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

var calledRef = act.RoutedRef{ID: "dsr_cb:payroll:t-acme", RequestID: "dsr_cb", Type: dsrflow.Erasure,
	Located:   act.Located{Connector: "payroll", Tenant: "t-acme", Customer: "acme"},
	LegalName: "Acme Manufacturing Ltd", Contact: "privacy@acme.example",
	DueAt: time.Date(2026, 12, 17, 0, 0, 0, 0, time.UTC), Callback: true}

// A customer with a callback_url gets each event as a signed protocol v1 post with its own secret; a
// failure (503) is an error the workflow's policy retries, and the repeat carries the same
// Idempotency-Key. The notice names ids, the request's type and what to instruct, never the subject.
func TestCustomerCallbackIsSignedAndRetried(t *testing.T) {
	secret := []byte(strings.Repeat("acme-secret-", 3))
	ep := &customerEndpoint{secret: secret, codes: []int{http.StatusServiceUnavailable}}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	st := storeWithRequest(t, "dsr_cb", "erasure")
	a := &activities.Routing{Customers: callbackCustomer(t, srv.URL, secret), Store: st}
	in := act.CallbackRoutedInput{Ref: calledRef, Event: connectors.RoutedEventOpened, State: dsrflow.RoutedNotified, At: time.Now()}

	if err := a.CallbackRouted(context.Background(), in); err == nil {
		t.Fatal("a 503 from the customer was taken as delivered")
	}
	if err := a.CallbackRouted(context.Background(), in); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if len(ep.got) != 2 || ep.keys[0] != ep.keys[1] || ep.keys[0] != "routed.opened:dsr_cb:payroll:t-acme" {
		t.Fatalf("posts %d, idempotency keys %q", len(ep.got), ep.keys)
	}
	n := ep.got[1]
	if n.Protocol != connectors.ProtocolVersion || n.Event != connectors.RoutedEventOpened || n.RoutedID != calledRef.ID ||
		n.RequestType != dsrflow.Erasure || n.Action != dsrflow.ActionErase || n.Tenant != "t-acme" || n.Customer != "acme" ||
		!n.DueAt.Equal(calledRef.DueAt) || !slices.Equal(n.Instructions, []string{"execute", "decline", "handled"}) {
		t.Fatalf("notice %+v", n)
	}
	for _, pd := range []string{"jane", "Jane", "@example"} {
		if strings.Contains(ep.bodies[1], pd) {
			t.Errorf("the callback holds %q: %s", pd, ep.bodies[1])
		}
	}

	done := act.CallbackRoutedInput{Ref: calledRef, Event: connectors.RoutedEventExecuted, State: dsrflow.RoutedExecuted, Action: dsrflow.ActionErase, Status: "completed", At: time.Now()}
	if err := a.CallbackRouted(context.Background(), done); err != nil {
		t.Fatal(err)
	}
	if n := ep.got[2]; n.Event != connectors.RoutedEventExecuted || n.State != dsrflow.RoutedExecuted || n.Status != connectors.StatusCompleted || len(n.Instructions) != 0 {
		t.Fatalf("executed notice %+v", n)
	}
}

// A customer endpoint that refuses (here: it holds another secret, 401) is not asked again: the failure
// is audited with ids and the status only, and the item goes on (the mail went).
func TestCustomerCallbackRefusedIsAuditedNotRetried(t *testing.T) {
	ep := &customerEndpoint{secret: []byte(strings.Repeat("another-secret-", 3))}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	st := storeWithRequest(t, "dsr_cb", "erasure")
	a := &activities.Routing{Customers: callbackCustomer(t, srv.URL, []byte(strings.Repeat("acme-secret-", 3))), Store: st}
	in := act.CallbackRoutedInput{Ref: calledRef, Event: connectors.RoutedEventOpened, State: dsrflow.RoutedNotified, At: time.Now()}
	if err := a.CallbackRouted(context.Background(), in); err != nil {
		t.Fatalf("a refused callback: %v, want no error (nothing to retry)", err)
	}
	evs, err := st.ListAudit(context.Background(), "dsr_cb")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(evs, func(e dsrflow.AuditEvent) bool { return e.Action == "routed_callback_failed" })
	if i < 0 || evs[i].Detail["http_status"] != "401" || evs[i].Detail["routed"] != calledRef.ID || evs[i].Detail["event"] != connectors.RoutedEventOpened {
		t.Fatalf("audit %+v, want routed_callback_failed with status 401", evs)
	}
}
