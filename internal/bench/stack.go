package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// benchStack is a dev stack whose connectors are a farm of n bench connectors, with the bare baseline
// workflow registered on the same worker.
type benchStack struct {
	*devstack.Stack
	farm *farm
	dir  string
	// lastRequest and lastBare name a finished workflow of each kind, whose history the report counts.
	lastRequest, lastBare atomic.Value // string
}

func startStack(ctx context.Context, n int) (*benchStack, error) {
	return startStackOn(ctx, n, "")
}

// startStackOn is startStack with the Temporal frontend at temporalAddr instead of the embedded server
// when temporalAddr is set.
func startStackOn(ctx context.Context, n int, temporalAddr string) (*benchStack, error) {
	dir, err := os.MkdirTemp("", "dsrflow-bench")
	if err != nil {
		return nil, err
	}
	f, err := startFarm(dir, n)
	if err != nil {
		return nil, err
	}
	// worker --dev's defaults (its workflow cache among them), with the bench's connectors instead of
	// the demo subsidiaries.
	cfg, err := config.LoadDev(func(string) string { return "" })
	if err != nil {
		f.close()
		return nil, err
	}
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.TemporalAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Connectors, cfg.Demo = f.yaml, false
	s, err := devstack.Start(ctx, devstack.Options{Config: cfg, Getenv: f.getenv, Register: registerBare, ExternalTemporal: temporalAddr})
	if err != nil {
		f.close()
		return nil, fmt.Errorf("dev stack: %w", err)
	}
	return &benchStack{Stack: s, farm: f, dir: dir}, nil
}

func (s *benchStack) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = s.Stack.Close(ctx)
	s.farm.close()
	_ = os.RemoveAll(s.dir)
}

// BareRequest is the baseline: the same number of activities as a request's connector jobs, in
// parallel, doing nothing; no verification, audit, index or answer.
func BareRequest(ctx workflow.Context, n int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	futures := make([]workflow.Future, n)
	for i := range futures {
		futures[i] = workflow.ExecuteActivity(ctx, "BenchNoop")
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func noop(context.Context) error { return nil }

func registerBare(r worker.Registry) {
	r.RegisterWorkflow(BareRequest)
	r.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: "BenchNoop"})
}

// startRequest starts a realistic request through the front door: an access request, identity attested
// by an agent, for a synthetic subject; it returns the workflow id.
func (s *benchStack) startRequest(ctx context.Context, a *api, i int) (string, error) {
	return a.create(ctx, web.NewRequest{Type: "access", Email: fmt.Sprintf("bench-%07d@example.com", i), Attest: "benchmark"})
}

func (s *benchStack) startBare(ctx context.Context, i, n int) (string, error) {
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bare-%07d", i), TaskQueue: workflows.TaskQueue}, BareRequest, n)
	if err != nil {
		return "", err
	}
	return run.GetID(), nil
}

// wait blocks until the workflow completes.
func (s *benchStack) wait(ctx context.Context, id string) error {
	return s.Client.GetWorkflow(ctx, id, "").Get(ctx, nil)
}
