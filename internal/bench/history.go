package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/histories"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// historyDays is how long the request of HistoryEvents runs, in simulated days.
const historyDays = 45

// HistoryEvents runs one request whose only connector accepts its job (202) and never answers, for 45
// simulated days in the SDK's time-skipping environment with every activity mocked, then cancels it
// in Temporal; the figure is the history's size, estimated from the commands the workflow issued
// (internal/histories). The server's default limit is 51,200 events; the target is under 2,000.
func HistoryEvents(ctx context.Context, progress func(string)) ([]Figure, error) {
	n, err := historyEventsOnce()
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("history: %d events over %d days", n, historyDays))
	return []Figure{{
		Name: "history_events_max", Rounds: []float64{float64(n)},
		Note: fmt.Sprintf("(estimated from the commands, SDK time-skipping test environment: an accepted job never answered, %d simulated days; target < 2000)", historyDays),
	}}, nil
}

func historyEventsOnce() (int, error) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	count := histories.New()
	// A loaded machine may hold a workflow task past the SDK's 1 s deadlock detection; the figure is
	// about history, not speed.
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{count}, DeadlockDetectionTimeout: time.Minute})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "bench-history", WorkflowTaskTimeout: 10 * time.Second})
	env.SetTestTimeout(5 * time.Minute)
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	env.SetStartTime(received)
	in := workflows.RequestInput{
		ID: "bench-history", Type: dsrflow.Access, Country: "DE", Jurisdiction: "gdpr", Channel: "api",
		ReceivedAt: received, Due: received.Add(30 * 24 * time.Hour), ExtendedDue: received.Add(90 * 24 * time.Hour),
		SubjectKey: "bench", Verification: dsrflow.VerifyNone, Actor: "bench", Version: workflows.RequestVersion,
	}
	point := in.Due.Add(-workflows.CurrentPolicy().JobMargin)
	crm := activities.ConnectorRef{ID: "crm", Owner: "Sales", Role: connectors.RoleSubsidiary}

	var (
		st   *activities.Store
		conn *activities.Connectors
		ans  *activities.Answer
		rev  *activities.Review
	)
	env.OnActivity(st.Transition, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(st.AppendAudit, mock.Anything, mock.Anything).Return(func(_ context.Context, e store.AuditEvent) (store.AuditEvent, error) { return e, nil })
	env.OnActivity(st.RecordJob, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(conn.Select, mock.Anything, mock.Anything).Return([]activities.ConnectorRef{crm}, nil)
	env.OnActivity(conn.Run, mock.Anything, mock.Anything).Return(func(_ context.Context, job connectors.Job) (activities.JobOutcome, error) {
		return activities.JobOutcome{Connector: crm, JobID: job.ID, Action: job.Action, Status: connectors.StatusAccepted, Attempts: 1}, nil
	})
	// The await activity polls until the escalation point and answers "not final".
	env.OnActivity(conn.AwaitResult, mock.Anything, mock.Anything).AfterFn(func() time.Duration { return max(point.Sub(env.Now()), 0) }).
		Return(func(_ context.Context, in activities.AwaitInput) (activities.JobOutcome, error) {
			return activities.JobOutcome{Connector: crm, JobID: in.Job.ID, Action: in.Job.Action, Status: connectors.StatusAccepted}, nil
		})
	env.OnActivity(ans.Respond, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(rev.SendAlert, mock.Anything, mock.Anything).Return(nil)
	env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil)
	env.OnUpsertMemo(mock.Anything).Return(nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, historyDays*24*time.Hour)

	env.ExecuteWorkflow(workflows.Request, in)

	var canceled *temporal.CanceledError
	if err := env.GetWorkflowError(); !errors.As(err, &canceled) {
		return 0, fmt.Errorf("the request did not run to day %d: %v", historyDays, err)
	}
	return count.Max(), nil
}
