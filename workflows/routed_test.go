package workflows_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
	. "github.com/dsrflow/dsrflow/workflows"
)

var ra *activities.Routing

func routedEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *[]act.RecordRoutedInput, act.RoutedRef) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Routed)
	start := env.Now()
	ref := act.RoutedRef{ID: "dsr_1:payroll:t-acme", RequestID: "dsr_1", Type: dsrflow.Access,
		Located:   act.Located{Connector: "payroll", Tenant: "t-acme", Customer: "acme"},
		LegalName: "Acme Manufacturing AS", Contact: "privacy@acme.example",
		RemindAt: start.Add(8 * 24 * time.Hour), DueAt: start.Add(14 * 24 * time.Hour)}
	var recorded []act.RecordRoutedInput
	env.OnActivity(ra.RecordRouted, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.RecordRoutedInput) error {
		recorded = append(recorded, in)
		return nil
	})
	return env, &recorded, ref
}

// An unanswered routed item is reminded before, and escalated at, the DPA's deadline, on durable timers.
func TestRoutedUnansweredEscalatesAtDeadline(t *testing.T) {
	env, recorded, ref := routedEnv(t)
	env.ExecuteWorkflow(Routed, RoutedInput{Ref: ref, Identity: dsrflow.Identity{Email: "jane@example.com"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var out RoutedOutcome
	if err := env.GetWorkflowResult(&out); err != nil || out.State != dsrflow.RoutedEscalated {
		t.Fatalf("outcome %+v, %v; want escalated", out, err)
	}
	got := *recorded
	if len(got) != 2 || !got[0].Reminder || got[1].State != dsrflow.RoutedEscalated {
		t.Fatalf("recorded %+v; want a reminder, then the escalation", got)
	}
	if !got[0].At.Equal(ref.RemindAt) || !got[1].At.Equal(ref.DueAt) {
		t.Fatalf("reminder at %s, escalation at %s; want %s and %s", got[0].At, got[1].At, ref.RemindAt, ref.DueAt)
	}
}

// The customer's execute instruction runs the action on its tenant only, after being recorded.
func TestRoutedExecuteRunsOnTheTenant(t *testing.T) {
	env, recorded, ref := routedEnv(t)
	var ran act.ExecuteRoutedInput
	env.OnActivity(ra.ExecuteRouted, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.ExecuteRoutedInput) (act.ExecuteRoutedResult, error) {
		ran = in
		return act.ExecuteRoutedResult{Status: "completed"}, nil
	})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalRoutedInstruction, RoutedInstruction{Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionErase, Actor: "user:agent"})
	}, 3*24*time.Hour)
	env.ExecuteWorkflow(Routed, RoutedInput{Ref: ref, Identity: dsrflow.Identity{Email: "jane@example.com"}, Verified: []string{"email"}})
	var out RoutedOutcome
	if err := env.GetWorkflowResult(&out); err != nil || out.State != dsrflow.RoutedExecuted {
		t.Fatalf("outcome %+v, %v; want executed", out, err)
	}
	if ran.Action != dsrflow.ActionErase || ran.Ref.Tenant != "t-acme" || ran.Identity.Email != "jane@example.com" {
		t.Fatalf("executed %+v; want erase on t-acme for the subject", ran)
	}
	got := *recorded
	if len(got) != 1 || got[0].State != dsrflow.RoutedInstructed || got[0].Instruction != dsrflow.InstructExecute || got[0].Actor != "user:agent" {
		t.Fatalf("recorded %+v; want only the instruction (no reminder: it came before)", got)
	}
}

// A decline is recorded with its reason; nothing runs in the tenant.
func TestRoutedDecline(t *testing.T) {
	env, recorded, ref := routedEnv(t)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalRoutedInstruction, RoutedInstruction{Instruction: dsrflow.InstructDecline, Reason: "the employment contract requires it", Actor: "user:agent"})
	}, 10*24*time.Hour)
	env.ExecuteWorkflow(Routed, RoutedInput{Ref: ref})
	var out RoutedOutcome
	if err := env.GetWorkflowResult(&out); err != nil || out.State != dsrflow.RoutedDeclined {
		t.Fatalf("outcome %+v, %v; want declined", out, err)
	}
	got := *recorded
	if len(got) != 2 || !got[0].Reminder || got[1].State != dsrflow.RoutedDeclined || got[1].Reason == "" {
		t.Fatalf("recorded %+v; want the reminder (day 8), then the decline with its reason", got)
	}
}

// A verified access request routes each tenant a processor found, and its answer names the customer;
// the request does not wait for the customer's instruction.
func TestRequestRoutesLocatedTenants(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	h.located = []act.Located{{Connector: "payroll", Tenant: "t-acme", Customer: "acme"}}
	h.update(time.Hour, UpdateVerified, VerifiedInput{Actor: frontDoor})
	out := h.execute()
	if out.Status != dsrflow.StatusCompleted {
		t.Fatalf("outcome %+v", out)
	}
	resp := h.onlyRespond()
	if len(resp.Routed) != 1 || resp.Routed[0].Customer != "acme" || resp.Routed[0].LegalName != "Acme Manufacturing AS" ||
		resp.Routed[0].ID != dsrflow.RoutedID(h.in.ID, "payroll", "t-acme") {
		t.Fatalf("answer's routed items: %+v", resp.Routed)
	}
	for _, o := range resp.Outcomes {
		if o.Connector.ID == "payroll" {
			t.Fatalf("the processor ran a job of the subject's own request: %+v", o)
		}
	}
}

// A customer with a callback_url (Ref.Callback) is posted the item's events besides its mails: opened
// at once, then, here, the executed instruction with the processor's status.
func TestRoutedCallsBackTheCustomer(t *testing.T) {
	env, _, ref := routedEnv(t)
	ref.Callback = true
	var events []act.CallbackRoutedInput
	env.OnActivity(ra.CallbackRouted, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.CallbackRoutedInput) error {
		events = append(events, in)
		return nil
	})
	env.OnActivity(ra.ExecuteRouted, mock.Anything, mock.Anything).Return(act.ExecuteRoutedResult{Status: "completed"}, nil)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalRoutedInstruction, RoutedInstruction{Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionErase, Actor: "user:agent"})
	}, 24*time.Hour)
	env.ExecuteWorkflow(Routed, RoutedInput{Ref: ref, Identity: dsrflow.Identity{Email: "jane@example.com"}, Verified: []string{"email"}})
	var out RoutedOutcome
	if err := env.GetWorkflowResult(&out); err != nil || out.State != dsrflow.RoutedExecuted {
		t.Fatalf("outcome %+v, %v; want executed", out, err)
	}
	if len(events) != 2 || events[0].Event != connectors.RoutedEventOpened || events[1].Event != connectors.RoutedEventExecuted ||
		events[1].Action != dsrflow.ActionErase || events[1].Status != "completed" || events[1].Ref.ID != ref.ID {
		t.Fatalf("callbacks %+v; want opened, then executed (erase, completed)", events)
	}
}

// An escalated item's customer is told by callback too: opened, the reminder, the escalation.
func TestRoutedCallbackOnEscalation(t *testing.T) {
	env, _, ref := routedEnv(t)
	ref.Callback = true
	var events []string
	env.OnActivity(ra.CallbackRouted, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.CallbackRoutedInput) error {
		events = append(events, in.Event)
		return nil
	})
	env.ExecuteWorkflow(Routed, RoutedInput{Ref: ref})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if want := []string{connectors.RoutedEventOpened, connectors.RoutedEventReminder, connectors.RoutedEventEscalated}; !slices.Equal(events, want) {
		t.Fatalf("callbacks %v, want %v", events, want)
	}
}

// A request refused while its own jobs run still hands the answer the customers it was routed to before
// the refusal: they were told, and the refused answer names them.
func TestRefusedRequestNamesRoutedCustomers(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Erasure, dsrflow.VerifyAgentAttested))
	h.located = []act.Located{{Connector: "payroll", Tenant: "t-acme", Customer: "acme"}}
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	h.poll = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	h.update(2*day, UpdateRefuse, RefuseInput{Actor: Actor{ID: "token:dpo", Role: "dpo"}, Ground: string(dsrflow.RefusalManifestlyExcessive), Reason: "the fourth erasure this week"})
	out := h.execute()
	if out.Status != dsrflow.StatusRejected {
		t.Fatalf("outcome %+v, want rejected", out)
	}
	resp := h.onlyRespond()
	if resp.Status != dsrflow.StatusRejected || len(resp.Routed) != 1 || resp.Routed[0].Customer != "acme" || resp.Routed[0].LegalName == "" {
		t.Fatalf("refused answer: status %s, routed %+v; want the Acme item named", resp.Status, resp.Routed)
	}
}

// A decline is called back as recorded, with the state, after the opened event.
func TestRoutedCallbackOnDecline(t *testing.T) {
	env, _, ref := routedEnv(t)
	ref.Callback = true
	var events []act.CallbackRoutedInput
	env.OnActivity(ra.CallbackRouted, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.CallbackRoutedInput) error {
		events = append(events, in)
		return nil
	})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalRoutedInstruction, RoutedInstruction{Instruction: dsrflow.InstructDecline, Reason: "the employment contract requires it", Actor: "user:agent"})
	}, 24*time.Hour)
	env.ExecuteWorkflow(Routed, RoutedInput{Ref: ref})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Event != connectors.RoutedEventOpened || events[1].Event != connectors.RoutedEventRecorded || events[1].State != dsrflow.RoutedDeclined {
		t.Fatalf("callbacks %+v; want opened, then recorded (declined)", events)
	}
}
