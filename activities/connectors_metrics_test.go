package activities_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/connectors/sdk"
	"github.com/dsrflow/dsrflow/internal/metrics"
)

var connectorSecret = []byte("0123456789abcdef0123456789abcdef")

// TestConnectorCallMetrics runs the connector activities against SDK connectors, one answering at once,
// one answering later, one failing, and finds each call in the worker's metrics.
func TestConnectorCallMetrics(t *testing.T) {
	const requestID = "dsr_jane"
	st := storeWithRequest(t, requestID, "access")

	records := func(_ context.Context, job connectors.Job) (connectors.Result, error) {
		return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Records: []connectors.Record{{
			Dataset: "contacts", Fields: map[string]string{"email": job.Identities.Email},
		}}}, nil
	}
	broken := func(context.Context, connectors.Job) (connectors.Result, error) {
		return connectors.Result{}, errors.New("database down")
	}
	mux := http.NewServeMux()
	for _, c := range []struct {
		id string
		h  sdk.HandlerFunc
		o  sdk.Options
	}{
		{"crm", records, sdk.Options{}},
		{"billing", records, sdk.Options{Async: true}},
		{"shop", broken, sdk.Options{}},
	} {
		c.o.Secret, c.o.Attempts, c.o.Logger = connectorSecret, 1, slog.New(slog.DiscardHandler)
		s := sdk.New(c.o, c.h)
		t.Cleanup(s.Close)
		mux.Handle("/"+c.id+"/", http.StripPrefix("/"+c.id, s))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var conns []connectors.Connector
	for _, id := range []string{"crm", "billing", "shop"} {
		conns = append(conns, connectors.Connector{ID: id, Owner: "Example " + id + " AS", Role: connectors.RoleSubsidiary,
			Settings: httpkind.Settings{URL: srv.URL + "/" + id, Secret: connectorSecret, Timeout: 5 * time.Second},
			Actions:  []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{dsrflow.IdentityEmail}})
	}
	registry, err := connectors.NewRegistry(conns...)
	if err != nil {
		t.Fatal(err)
	}

	reg := metrics.NewRegistry()
	// The callback URL is never reached: the async connector's callback fails, and the job is polled.
	a := &activities.Connectors{Registry: registry, Runners: openRunners(t, registry), Store: st, CallbackBase: "http://127.0.0.1:1", Metrics: reg}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	job := func(conn string) connectors.Job {
		return connectors.Job{ID: connectors.JobID(requestID, conn, dsrflow.ActionAccess), RequestID: requestID, Connector: conn,
			Action: dsrflow.ActionAccess, Identities: dsrflow.Identity{Email: "jane.doe@example.com"}, Deadline: time.Now().Add(time.Hour)}
	}
	status := func(conn string, run any) connectors.Status {
		t.Helper()
		v, err := env.ExecuteActivity(run, job(conn))
		if err != nil {
			t.Fatalf("%s: %v", conn, err)
		}
		var out activities.JobOutcome
		if err := v.Get(&out); err != nil {
			t.Fatal(err)
		}
		return out.Status
	}

	if got := status("crm", a.Run); got != connectors.StatusCompleted {
		t.Errorf("crm: %s", got)
	}
	if got := status("billing", a.Run); got != connectors.StatusAccepted {
		t.Errorf("billing: %s", got)
	}
	polls, deadline := 1, time.Now().Add(5*time.Second)
	for ; status("billing", a.Poll) != connectors.StatusCompleted; polls++ {
		if time.Now().After(deadline) {
			t.Fatal("billing never completed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := env.ExecuteActivity(a.Run, job("shop")); err == nil {
		t.Fatal("shop: a failing connector's job succeeded")
	}

	scrape := httptest.NewServer(reg.Handler())
	defer scrape.Close()
	resp, err := http.Get(scrape.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(string(body), "\n")
	for _, want := range []string{
		`dsrflow_connector_jobs_total{action="access",connector="crm",status="completed"} 1`,
		`dsrflow_connector_jobs_total{action="access",connector="billing",status="accepted"} 1`,
		`dsrflow_connector_jobs_total{action="access",connector="billing",status="completed"} 1`,
		`dsrflow_connector_jobs_total{action="access",connector="shop",status="error"} 1`,
		`dsrflow_connector_call_seconds_count{action="access",connector="crm"} 1`,
		`dsrflow_connector_call_seconds_count{action="access",connector="shop"} 1`,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	// Every poll is a call, those answered pending too.
	if want := fmt.Sprintf(`dsrflow_connector_call_seconds_count{action="access",connector="billing"} %d`, 1+polls); !slices.Contains(lines, want) {
		t.Errorf("scrape lacks %q", want)
	}
	if polls > 1 {
		if want := fmt.Sprintf(`dsrflow_connector_jobs_total{action="access",connector="billing",status="pending"} %d`, polls-1); !slices.Contains(lines, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(string(body), "@") || strings.Contains(string(body), requestID) {
		t.Errorf("personal data or request ids in the scrape:\n%s", body)
	}
}
