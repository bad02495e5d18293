// Package histories estimates how many events a workflow's history holds, from the commands the
// workflow issues and the messages it receives, for runs in the SDK's time-skipping test environment
// (which keeps no history). Each kind is counted as the server records it: an activity is scheduled,
// started and closed, and wakes the workflow (a workflow task: scheduled, started, completed); a timer
// is started and fired (or canceled) and wakes it; a local activity, version or side effect is one
// marker; a signal is one event and a wake; an update is accepted and completed and a wake. Local
// activities running longer than a workflow task's timeout (heartbeated tasks) are not seen: the
// estimate is a floor for those, exact enough for the shapes dsrflow's workflows have.
package histories

import (
	"sync"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Per-kind costs in history events, the workflow task a wake costs included.
const (
	startCost    = 5 // started, first workflow task (3), completed
	activityCost = 6
	timerCost    = 5
	markerCost   = 1
	signalCost   = 4
	updateCost   = 5
	upsertCost   = 1
)

// Counter is a worker interceptor that counts the estimated history events of every workflow run it
// sees, by workflow id.
type Counter struct {
	interceptor.WorkerInterceptorBase
	mu     sync.Mutex
	events map[string]int
}

// New returns an empty Counter.
func New() *Counter { return &Counter{events: map[string]int{}} }

// Events is the estimate for one workflow id.
func (c *Counter) Events(workflowID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events[workflowID]
}

// Max is the largest estimate over every workflow seen.
func (c *Counter) Max() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := 0
	for _, n := range c.events {
		m = max(m, n)
	}
	return m
}

func (c *Counter) add(ctx workflow.Context, n int) {
	if workflow.IsReplaying(ctx) {
		return
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	c.mu.Lock()
	c.events[id] += n
	c.mu.Unlock()
}

// InterceptWorkflow implements interceptor.WorkerInterceptor.
func (c *Counter) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &inbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, c: c}
}

type inbound struct {
	interceptor.WorkflowInboundInterceptorBase
	c *Counter
}

func (i *inbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&outboundCounter{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, c: i.c})
}

func (i *inbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	i.c.add(ctx, startCost)
	return i.Next.ExecuteWorkflow(ctx, in)
}

func (i *inbound) HandleSignal(ctx workflow.Context, in *interceptor.HandleSignalInput) error {
	i.c.add(ctx, signalCost)
	return i.Next.HandleSignal(ctx, in)
}

func (i *inbound) ExecuteUpdate(ctx workflow.Context, in *interceptor.UpdateInput) (any, error) {
	i.c.add(ctx, updateCost)
	return i.Next.ExecuteUpdate(ctx, in)
}

type outboundCounter struct {
	interceptor.WorkflowOutboundInterceptorBase
	c        *Counter
	versions map[string]bool
}

func (o *outboundCounter) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.c.add(ctx, activityCost)
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *outboundCounter) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.c.add(ctx, markerCost)
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

// NewTimer and NewTimerWithOptions see every timer: workflow.Sleep and AwaitWithTimeout make theirs
// through them.
func (o *outboundCounter) NewTimer(ctx workflow.Context, d time.Duration) workflow.Future {
	o.c.add(ctx, timerCost)
	return o.Next.NewTimer(ctx, d)
}

func (o *outboundCounter) NewTimerWithOptions(ctx workflow.Context, d time.Duration, opts workflow.TimerOptions) workflow.Future {
	o.c.add(ctx, timerCost)
	return o.Next.NewTimerWithOptions(ctx, d, opts)
}

func (o *outboundCounter) SideEffect(ctx workflow.Context, f func(ctx workflow.Context) any) converter.EncodedValue {
	o.c.add(ctx, markerCost)
	return o.Next.SideEffect(ctx, f)
}

func (o *outboundCounter) GetVersion(ctx workflow.Context, changeID string, minSupported, maxSupported workflow.Version) workflow.Version {
	if o.versions == nil {
		o.versions = map[string]bool{}
	}
	if !o.versions[changeID] {
		o.versions[changeID] = true
		o.c.add(ctx, markerCost)
	}
	return o.Next.GetVersion(ctx, changeID, minSupported, maxSupported)
}

func (o *outboundCounter) UpsertTypedSearchAttributes(ctx workflow.Context, attrs ...temporal.SearchAttributeUpdate) error {
	o.c.add(ctx, upsertCost)
	return o.Next.UpsertTypedSearchAttributes(ctx, attrs...)
}

func (o *outboundCounter) UpsertMemo(ctx workflow.Context, memo map[string]any) error {
	o.c.add(ctx, upsertCost)
	return o.Next.UpsertMemo(ctx, memo)
}
