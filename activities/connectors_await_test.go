package activities_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

// An accepted job's polls run inside one AwaitResult activity: it returns the connector's final result
// once a poll has it (recorded in the store), and a not-final outcome, without error, once the
// escalation point passes with the connector still working.
func TestAwaitResultPollsUntilTheResultOrThePoint(t *testing.T) {
	const requestID = "dsr_await"
	st := storeWithRequest(t, requestID, "erasure")
	release := make(chan struct{})
	s := sdk.New(sdk.Options{Secret: connectorSecret, Attempts: 1, Async: true, Backoff: time.Hour, Logger: slog.New(slog.DiscardHandler)},
		sdk.HandlerFunc(func(ctx context.Context, job connectors.Job) (connectors.Result, error) {
			if job.Connector == "slow" {
				select {
				case <-release:
				case <-ctx.Done():
					return connectors.Result{}, ctx.Err()
				}
			} else {
				<-ctx.Done()
				return connectors.Result{}, ctx.Err()
			}
			return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Counts: map[string]int{"deleted": 1}}, nil
		}))
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s)
	defer srv.Close()
	var conns []connectors.Connector
	for _, id := range []string{"slow", "silent"} {
		conns = append(conns, connectors.Connector{ID: id, Owner: "Example AS", Role: connectors.RoleSubsidiary,
			Settings: httpkind.Settings{URL: srv.URL, Secret: connectorSecret, Timeout: 5 * time.Second}, Actions: []dsrflow.Action{dsrflow.ActionErase}, Identities: []string{dsrflow.IdentityEmail}})
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
	job := func(conn string) connectors.Job {
		return connectors.Job{ID: connectors.JobID(requestID, conn, dsrflow.ActionErase), RequestID: requestID, Connector: conn,
			Action: dsrflow.ActionErase, Identities: dsrflow.Identity{Email: "jane.doe@example.com"}, Deadline: time.Now().Add(time.Hour)}
	}
	await := func(conn string, until time.Duration) activities.JobOutcome {
		t.Helper()
		if v, err := env.ExecuteActivity(a.Run, job(conn)); err != nil {
			t.Fatalf("%s: run: %v", conn, err)
		} else {
			var out activities.JobOutcome
			if err := v.Get(&out); err != nil || out.Status != connectors.StatusAccepted {
				t.Fatalf("%s: run: %+v %v, want accepted", conn, out, err)
			}
		}
		v, err := env.ExecuteActivity(a.AwaitResult, activities.AwaitInput{Job: job(conn), Until: time.Now().Add(until), FirstPoll: 20 * time.Millisecond, PollEvery: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("%s: await: %v", conn, err)
		}
		var out activities.JobOutcome
		if err := v.Get(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	time.AfterFunc(300*time.Millisecond, func() { close(release) })
	if out := await("slow", 10*time.Second); out.Status != connectors.StatusCompleted || !out.Recorded || out.Counts["deleted"] != 1 {
		t.Fatalf("slow: %+v, want completed and recorded", out)
	}
	began := time.Now()
	out := await("silent", 400*time.Millisecond)
	if out.Status.Final() || out.Status != connectors.StatusAccepted {
		t.Fatalf("silent: %+v, want not final at the point", out)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Fatalf("silent: the await took %s past a point 400 ms away", took)
	}
}
