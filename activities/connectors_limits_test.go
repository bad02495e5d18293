package activities_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
)

// gate is a throttle that is either busy or grants, counting what it granted and got back.
type gate struct {
	busy                    bool
	acquired, released, pac int
}

func (g *gate) Acquire(_ context.Context, c connectors.Connector) (func(), error) {
	if g.busy {
		return nil, &connectors.BusyError{Connector: c.ID, RetryAfter: 4 * time.Second, Reason: "all of its max_concurrent slots are in use"}
	}
	g.acquired++
	return func() { g.released++ }, nil
}

func (g *gate) Pace(context.Context, connectors.Connector) error { g.pac++; return nil }

// TestRunWaitsForItsConnectorsLimits: a job whose connector is at its max_concurrent is not sent; its
// activity fails retryably (ConnectorBusy, retried after the throttle's delay), so the job waits and
// never fails for it. A job that gets a slot holds it for its call and gives it back, and takes one
// call under the rate.
func TestRunWaitsForItsConnectorsLimits(t *testing.T) {
	secret := strings.Repeat("s", 40)
	reg, err := connectors.Parse([]byte(`connectors:
  - id: crm
    owner: Example Sales AS
    role: subsidiary
    kind: http
    url: http://127.0.0.1:1/crm
    secret_env: CRM_SECRET
    actions: [access]
    identities: [email]
    max_concurrent: 4
    rate: 10
`), func(string) string { return secret })
	if err != nil {
		t.Fatal(err)
	}
	jobs := 0
	g := &gate{busy: true}
	a := &activities.Connectors{Registry: reg, Throttle: g, Runners: map[string]connectors.Runner{
		"crm": fixedRunner{res: connectors.Result{Status: connectors.StatusAccepted}, jobs: &jobs},
	}}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)

	job := connectors.Job{ID: connectors.JobID("dsr_x", "crm", dsrflow.ActionAccess), Connector: "crm", Action: dsrflow.ActionAccess}
	_, err = env.ExecuteActivity(a.Run, job)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.NonRetryable() || appErr.Type() != activities.ErrConnectorBusy || appErr.NextRetryDelay() != 4*time.Second {
		t.Fatalf("Run on a busy connector = %v, want a retryable %s after 4s", err, activities.ErrConnectorBusy)
	}
	if jobs != 0 {
		t.Fatalf("%d jobs reached the busy connector", jobs)
	}

	g.busy = false
	val, err := env.ExecuteActivity(a.Run, job)
	var out activities.JobOutcome
	if err == nil {
		err = val.Get(&out)
	}
	if err != nil || out.Status != connectors.StatusAccepted || jobs != 1 {
		t.Fatalf("Run with a slot free = %+v, %v (%d jobs)", out, err, jobs)
	}
	if g.acquired != 1 || g.released != 1 || g.pac != 1 {
		t.Fatalf("slots acquired %d, released %d, rate tokens %d; want 1 each", g.acquired, g.released, g.pac)
	}
}
