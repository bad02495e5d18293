package activities_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/connectors/sdk"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// TestConnectorActivityRecordsTheFinalOutcome: a final answer is stored with its audit event by the
// connector activity itself (the workflow then skips RecordJob); an accepted job is not recorded yet;
// and when the store fails, the outcome still comes back, marked not recorded, for the workflow to
// record, without asking the connector again.
func TestConnectorActivityRecordsTheFinalOutcome(t *testing.T) {
	ctx := context.Background()
	const requestID = "dsr_record"
	st := storeWithRequest(t, requestID, "erasure")

	var mu sync.Mutex
	calls := map[string]int{}
	erase := func(_ context.Context, job connectors.Job) (connectors.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[job.Connector]++
		return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Counts: map[string]int{"deleted": 2}}, nil
	}
	mux := http.NewServeMux()
	for id, async := range map[string]bool{"crm": false, "billing": true, "shop": false} {
		s := sdk.New(sdk.Options{Secret: connectorSecret, Attempts: 1, Async: async, Logger: slog.New(slog.DiscardHandler)}, sdk.HandlerFunc(erase))
		t.Cleanup(s.Close)
		mux.Handle("/"+id+"/", http.StripPrefix("/"+id, s))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var conns []connectors.Connector
	for _, id := range []string{"crm", "billing", "shop"} {
		conns = append(conns, connectors.Connector{ID: id, Owner: "Example " + id + " AS", Role: connectors.RoleSubsidiary,
			Settings: httpkind.Settings{URL: srv.URL + "/" + id, Secret: connectorSecret, Timeout: 5 * time.Second},
			Actions:  []dsrflow.Action{dsrflow.ActionErase}, Identities: []string{dsrflow.IdentityEmail}})
	}
	registry, err := connectors.NewRegistry(conns...)
	if err != nil {
		t.Fatal(err)
	}
	a := &activities.Connectors{Registry: registry, Runners: openRunners(t, registry), Store: st, CallbackBase: "http://127.0.0.1:1"}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	run := func(conn string) activities.JobOutcome {
		t.Helper()
		v, err := env.ExecuteActivity(a.Run, connectors.Job{ID: connectors.JobID(requestID, conn, dsrflow.ActionErase), RequestID: requestID,
			Connector: conn, Action: dsrflow.ActionErase, Identities: dsrflow.Identity{Email: "jane.doe@example.com"}, Deadline: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatalf("%s: %v", conn, err)
		}
		var out activities.JobOutcome
		if err := v.Get(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	if out := run("crm"); out.Status != connectors.StatusCompleted || !out.Recorded {
		t.Fatalf("crm: %+v, want completed and recorded", out)
	}
	if out := run("billing"); out.Status != connectors.StatusAccepted || out.Recorded {
		t.Fatalf("billing: %+v, want accepted and not recorded", out)
	}
	jobs, err := st.ListJobs(ctx, requestID)
	if err != nil {
		t.Fatal(err)
	}
	// billing's job is recorded as issued only: open for its callback, not an outcome (no audit event).
	if len(jobs) != 2 || jobs[0].ConnectorID != "billing" || jobs[0].Status != store.JobIssued ||
		jobs[1].ConnectorID != "crm" || jobs[1].Status != "completed" || jobs[1].Counts["deleted"] != 2 {
		t.Fatalf("jobs = %+v, want billing's issued and crm's completed", jobs)
	}
	events, err := st.ListAudit(ctx, requestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "job_completed" || events[0].Actor != "connector:crm" || events[0].Detail["count.deleted"] != "2" {
		t.Fatalf("audit = %+v, want crm's job_completed", events)
	}

	st.Close() // the store goes down (the cleanup closes it again, harmlessly)
	out := run("shop")
	if out.Status != connectors.StatusCompleted || out.Recorded {
		t.Fatalf("shop with the store down: %+v, want completed and not recorded", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["shop"] != 1 {
		t.Fatalf("shop was called %d times, want once", calls["shop"])
	}
}

// storeWithRequest opens a migrated SQLite store, keyed, holding one request in fulfilment; the test
// closes it on cleanup.
func storeWithRequest(t *testing.T, requestID, typ string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.PutRequest(ctx, store.Request{ID: requestID, Type: dsrflow.RequestType(typ), Status: "fulfilling", Country: "NO",
		Jurisdiction: "gdpr", ReceivedAt: time.Now(), DueAt: time.Now().Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return st
}

// openRunners opens the registry's connectors as a worker does at start.
func openRunners(t *testing.T, reg *connectors.Registry) map[string]connectors.Runner {
	t.Helper()
	runners, err := connectors.OpenAll(context.Background(), reg, connectors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = connectors.CloseAll(runners) })
	return runners
}
