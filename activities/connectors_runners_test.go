package activities_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/manual"
)

// fixedRunner answers every job with one result, counting the jobs.
type fixedRunner struct {
	res  connectors.Result
	jobs *int
}

func (r fixedRunner) Run(_ context.Context, job connectors.Job) (connectors.Result, error) {
	*r.jobs++
	res := r.res
	res.JobID = job.ID
	return res, nil
}
func (r fixedRunner) Poll(context.Context, string) (connectors.Result, error) { return r.res, nil }
func (fixedRunner) Close() error                                              { return nil }

// The activities reach connectors only through the runners they hold by id: a team's connector is
// selected as a task with its channel and instructions, a job goes to its connector's runner whatever
// its kind, and a connector this worker did not open goes to a person at once instead of being retried.
func TestConnectorsRunThroughRunners(t *testing.T) {
	ctx := context.Background()
	team := connectors.Connector{ID: "archive", Owner: "Example Records AS", Role: connectors.RolePartner,
		Actions: []dsrflow.Action{dsrflow.ActionNotify}, Identities: []string{dsrflow.IdentityEmail},
		Settings: manual.Settings{Channel: "C01ARCHIVE", Instructions: "Search the paper archive."}}
	other := team
	other.ID = "shelf"
	registry, err := connectors.NewRegistry(team, other)
	if err != nil {
		t.Fatal(err)
	}
	jobs := 0
	a := &activities.Connectors{Registry: registry, Runners: map[string]connectors.Runner{
		"archive": fixedRunner{res: connectors.Result{Status: connectors.StatusPending}, jobs: &jobs},
	}}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)

	refs, err := a.Select(ctx, activities.SelectInput{Partners: true})
	if err != nil || len(refs) != 2 {
		t.Fatalf("Select = %+v, %v", refs, err)
	}
	if r := refs[0]; r.ID != "archive" || r.Kind != connectors.KindManual || r.Channel != "C01ARCHIVE" || r.Instructions != "Search the paper archive." {
		t.Fatalf("team ref = %+v", r)
	}

	job := connectors.Job{ID: connectors.JobID("dsr_x", "archive", dsrflow.ActionNotify), Connector: "archive", Action: dsrflow.ActionNotify}
	val, err := env.ExecuteActivity(a.Poll, job)
	var res activities.JobOutcome
	if err == nil {
		err = val.Get(&res)
	}
	if err != nil || res.Status != connectors.StatusPending || res.Connector.ID != "archive" {
		t.Fatalf("Poll through the runner = %+v, %v", res, err)
	}

	job = connectors.Job{ID: connectors.JobID("dsr_x", "shelf", dsrflow.ActionNotify), Connector: "shelf", Action: dsrflow.ActionNotify}
	_, err = env.ExecuteActivity(a.Run, job)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != activities.ErrPermanentConnector {
		t.Fatalf("Run on a connector without a runner = %v, want a non-retryable %s", err, activities.ErrPermanentConnector)
	}
	if jobs != 0 {
		t.Fatalf("%d jobs reached a runner", jobs)
	}
}
