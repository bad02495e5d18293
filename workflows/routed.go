package workflows

import (
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// Routing (issue 22): data the group holds as a processor is the customer's to decide on (GDPR Art.
// 28(3)(e)). After verification a request asks the processor connectors which customer tenants hold the
// subject (locate); each tenant found becomes a routed item: recorded, its customer told, and a Routed
// child workflow that waits for the customer's instruction with a reminder and an escalation at the
// DPA's assistance deadline. The request itself does not wait: its answer names the customers and says
// the request was forwarded. The child is abandoned when the request closes, so each item lives on its
// own bounded history.

// versionRouting marks the requests that locate and route (issue 22).
const versionRouting = "h22-routing"

// versionRefusalNamesCustomers marks the requests whose routing, once a refusal stops their jobs,
// finishes opening the item it is opening (a customer mailed is a customer the answer names) and opens
// no more; their refused answer names the customers (internal/answer).
const versionRefusalNamesCustomers = "h22c-refusal-names-customers"

// versionRoutedCallback marks the routed items whose customer's callback_url is posted each event
// besides the mail.
const versionRoutedCallback = "h22c-customer-callback"

var routingActs = act.Routing

// SignalRoutedInstruction is the signal a Routed workflow takes the customer's instruction on.
const SignalRoutedInstruction = "routed-instruction"

// RoutedWorkflowID is the id of a routed item's workflow (ids and tenant ids only, no personal data).
func RoutedWorkflowID(routedID string) string { return "routed:" + routedID }

// RoutedInstruction is the customer's instruction, as the service signals it after validating it.
type RoutedInstruction struct {
	Instruction string // dsrflow.InstructExecute, InstructDecline, InstructHandled
	Action      dsrflow.Action
	// Corrections are the customer's corrected values of a rectify (data category → value).
	Corrections map[string]string `json:",omitempty"`
	Reason      string
	Actor       string
}

// RoutedInput starts a routed item's workflow.
type RoutedInput struct {
	Ref      act.RoutedRef
	Identity dsrflow.Identity
	Verified []string
}

// RoutedOutcome is how a routed item ended.
type RoutedOutcome struct {
	State dsrflow.RoutedState
}

// routedAfterEscalation bounds the wait after an escalation: the item stays escalated for a person, and
// the workflow (not the item) ends.
const routedAfterEscalation = 60 * 24 * time.Hour

// Routed waits for the customer's instruction on one routed item and carries it out: a reminder at
// RemindAt, an escalation at DueAt, and on execute the action on the customer's tenant only.
func Routed(ctx workflow.Context, in RoutedInput) (RoutedOutcome, error) {
	ch := workflow.GetSignalChannel(ctx, SignalRoutedInstruction)
	state := dsrflow.RoutedNotified
	record := func(ri act.RecordRoutedInput) {
		ri.Ref, ri.At = in.Ref, workflow.Now(ctx)
		if ri.Actor == "" {
			ri.Actor = "system"
		}
		_ = workflow.ExecuteActivity(activityOptions(ctx), routingActs.RecordRouted, ri).Get(ctx, nil)
	}
	// A customer with a callback_url is posted each event besides its mail, retried by callbackOptions.
	callback := in.Ref.Callback && workflow.GetVersion(ctx, versionRoutedCallback, workflow.DefaultVersion, 1) == 1
	tell := func(ci act.CallbackRoutedInput) {
		if !callback {
			return
		}
		ci.Ref, ci.At = in.Ref, workflow.Now(ctx)
		// The activity audits a callback that fails for good; the mail has gone either way.
		_ = workflow.ExecuteActivity(callbackOptions(ctx), routingActs.CallbackRouted, ci).Get(ctx, nil)
	}
	tell(act.CallbackRoutedInput{Event: connectors.RoutedEventOpened, State: dsrflow.RoutedNotified})
	var got *RoutedInstruction
	wait := func(until time.Time) bool {
		d := until.Sub(workflow.Now(ctx))
		if d <= 0 {
			return ch.ReceiveAsync(&got)
		}
		tctx, cancel := workflow.WithCancel(ctx)
		defer cancel()
		timer := workflow.NewTimer(tctx, d)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &got) })
		sel.AddFuture(timer, func(workflow.Future) {})
		sel.Select(ctx)
		return got != nil
	}
	if in.Ref.RemindAt.Before(in.Ref.DueAt) && !wait(in.Ref.RemindAt) {
		record(act.RecordRoutedInput{State: dsrflow.RoutedNotified, Reminder: true})
		tell(act.CallbackRoutedInput{Event: connectors.RoutedEventReminder, State: dsrflow.RoutedNotified})
	}
	if got == nil && !wait(in.Ref.DueAt) {
		state = dsrflow.RoutedEscalated
		record(act.RecordRoutedInput{State: state})
		tell(act.CallbackRoutedInput{Event: connectors.RoutedEventEscalated, State: state})
		if !wait(in.Ref.DueAt.Add(routedAfterEscalation)) {
			return RoutedOutcome{State: state}, nil
		}
	}
	switch got.Instruction {
	case dsrflow.InstructDecline:
		state = dsrflow.RoutedDeclined
	case dsrflow.InstructHandled:
		state = dsrflow.RoutedHandled
	case dsrflow.InstructExecute:
		record(act.RecordRoutedInput{State: dsrflow.RoutedInstructed, Instruction: got.Instruction, Action: got.Action, Actor: got.Actor})
		ex := act.ExecuteRoutedInput{Ref: in.Ref, Action: got.Action, Corrections: got.Corrections, Identity: in.Identity, Verified: in.Verified, At: workflow.Now(ctx)}
		var res act.ExecuteRoutedResult
		if err := workflow.ExecuteActivity(routedJobOptions(ctx), routingActs.ExecuteRouted, ex).Get(ctx, &res); err != nil {
			// The connector refused or stayed away: the item stays instructed for a person to follow.
			record(act.RecordRoutedInput{State: dsrflow.RoutedEscalated, Action: got.Action})
			return RoutedOutcome{State: dsrflow.RoutedEscalated}, nil
		}
		tell(act.CallbackRoutedInput{Event: connectors.RoutedEventExecuted, State: dsrflow.RoutedExecuted, Action: got.Action, Status: res.Status})
		return RoutedOutcome{State: dsrflow.RoutedExecuted}, nil
	default:
		return RoutedOutcome{State: state}, nil
	}
	record(act.RecordRoutedInput{State: state, Instruction: got.Instruction, Reason: got.Reason, Actor: got.Actor})
	tell(act.CallbackRoutedInput{Event: connectors.RoutedEventRecorded, State: state})
	return RoutedOutcome{State: state}, nil
}

// routedJobOptions retries the processor's job for up to a day: the customer's instruction is owed an
// answer, and a person takes over after.
func routedJobOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute, HeartbeatTimeout: jobHeartbeatTimeout, ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Hour,
			NonRetryableErrorTypes: []string{act.ErrPermanentConnector}},
	})
}

// callbackOptions retries a customer's callback with backoff, act.CallbackAttempts times (about two
// and a half hours); the activity itself audits the last failure rather than fail the item.
func callbackOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Hour,
			MaximumAttempts: act.CallbackAttempts},
	})
}

// route locates the subject in the processors' customer tenants and opens a routed item, with its own
// workflow, for each tenant found. A failure to locate or open is audited; the request goes on.
func (r *request) route(ctx workflow.Context) {
	if !slices.Contains(connectors.ProcessorActions, r.in.Type.Action()) {
		return // a processor executes only these on a customer's instruction
	}
	in := act.LocateInput{RequestID: r.in.ID, Identity: r.in.Identity, Verified: r.verifiedTypes(), Due: r.due}
	var found []act.Located
	if err := workflow.ExecuteActivity(activityOptions(ctx), routingActs.LocateTenants, in).Get(ctx, &found); err != nil {
		r.audit(ctx, "routing_locate_failed", nil, "system", "")
		return
	}
	// ctx is the jobs' context, which a refusal cancels: from then on no item is opened, and the one
	// being opened (its customer perhaps mailed already) is finished in octx and named in the answer.
	octx := ctx
	finishOpening := workflow.GetVersion(ctx, versionRefusalNamesCustomers, workflow.DefaultVersion, 1) == 1
	if finishOpening {
		octx, _ = workflow.NewDisconnectedContext(ctx)
	}
	for _, l := range found {
		if finishOpening && ctx.Err() != nil {
			break
		}
		var ref act.RoutedRef
		open := act.OpenRoutedInput{RequestID: r.in.ID, Type: r.in.Type, Located: l, Country: r.in.Country, Now: workflow.Now(ctx)}
		if err := workflow.ExecuteActivity(activityOptions(octx), routingActs.OpenRouted, open).Get(octx, &ref); err != nil {
			r.audit(octx, "routing_open_failed", map[string]string{"connector": l.Connector, "customer": l.Customer}, "system", "")
			continue
		}
		cctx := workflow.WithChildOptions(octx, workflow.ChildWorkflowOptions{
			WorkflowID:        RoutedWorkflowID(ref.ID),
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		})
		child := workflow.ExecuteChildWorkflow(cctx, Routed, RoutedInput{Ref: ref, Identity: r.in.Identity, Verified: r.verifiedTypes()})
		if err := child.GetChildWorkflowExecution().Get(octx, nil); err != nil {
			r.audit(octx, "routing_start_failed", map[string]string{"routed": ref.ID}, "system", "")
		}
		r.routed = append(r.routed, ref)
	}
}
