package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestRestrictionLiftTellsTheSubjectFirst (Art. 18(3)): the notice is queued and the lift waits until the
// outbox has sent it (retried while pending); only then are the connectors selected for unrestrict and
// their jobs run under the lift's workflow id; the lift is audited with the reason, and no subject
// address reaches the audit trail.
func TestRestrictionLiftTellsTheSubjectFirst(t *testing.T) {
	h := newHarness(t, workflows.RequestInput{ID: "dsr_lift"})
	var ans *activities.Answer
	var notices []act.LiftNoticeInput
	sentChecks, sent := 0, false
	h.env.OnActivity(ans.LiftNotice, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.LiftNoticeInput) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		notices = append(notices, in)
		return nil
	})
	h.env.OnActivity(ans.NoticeSent, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.LiftNoticeInput) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if sentChecks++; sentChecks < 3 {
			return errors.New("the lift notice is not sent yet")
		}
		sent = true
		return nil
	})
	h.selectFor = func(in activities.SelectInput) []activities.ConnectorRef {
		if !sent {
			t.Error("connectors selected before the notice was sent")
		}
		if in.Action != dsrflow.ActionUnrestrict || in.Partners {
			t.Errorf("select %+v, want the subsidiaries that unrestrict", in)
		}
		return []activities.ConnectorRef{crm, billing}
	}
	in := workflows.LiftInput{RequestID: "dsr_lift", Country: "NO", Reason: "the accuracy check found the data correct",
		Actor: workflows.Actor{ID: "token:agent", Role: "agent"}, To: jane.Email, Identity: jane, Verified: []string{"email"}, Policy: workflows.CurrentPolicy()}
	h.env.ExecuteWorkflow(workflows.RestrictionLift, in)
	if !h.env.IsWorkflowCompleted() || h.env.GetWorkflowError() != nil {
		t.Fatalf("lift: completed %v, error %v", h.env.IsWorkflowCompleted(), h.env.GetWorkflowError())
	}
	var out workflows.LiftOutcome
	if err := h.env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	eq(t, "notices queued", len(notices), 1)
	eq(t, "notice reason", notices[0].Reason, in.Reason)
	eq(t, "sent checks", sentChecks, 3)
	eq(t, "jobs", out.Jobs, map[string]connectors.Status{
		"dsr_lift:lift:billing:unrestrict": connectors.StatusCompleted,
		"dsr_lift:lift:crm:unrestrict":     connectors.StatusCompleted,
	})
	var actions []string
	for _, e := range h.events() {
		actions = append(actions, e.Action)
		if strings.Contains(e.Reason+strings.Join(mapValues(e.Detail), " "), jane.Email) {
			t.Errorf("audit event %s names the subject", e.Action)
		}
	}
	eq(t, "audit trail", actions, []string{workflows.AuditLiftRequested, workflows.AuditLiftNoticed, workflows.AuditLifted})
	lifted := h.eventsNamed(workflows.AuditLifted)
	eq(t, "lifted by", lifted[0].Actor, "token:agent")
	eq(t, "lifted jobs", lifted[0].Detail["jobs"], "2")
	eq(t, "callbacks reach the lift", workflows.JobWorkflowIDs("dsr_lift:lift:crm:unrestrict"), []string{"dsr_lift:lift", "dsr_lift"})
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
