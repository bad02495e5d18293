package workflows_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// The attack of issue 14 as the workflow sees it: an access request verified by emailed code, with
// another customer's id. The jobs say that only the email is verified; billing answers
// identity_conflict; the request audits it (connector, no identifier), alerts an agent, and the job is
// not done: the answer carries the conflict, not a completed search.
func TestIdentityConflictIsAuditedAlertedAndNotDone(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyEmailCode)
	in.Identity.CustomerIDs = map[string]string{"billing": "B-john"}
	h := newHarness(t, in)
	h.run["billing"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		o := h.outcome(job, connectors.StatusIdentityConflict)
		o.Detail = "an identifier given with the request matches a record that the verified identity does not reach"
		return o, nil
	}
	h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
	out := h.execute()

	for _, r := range h.runs {
		eq(t, "verified identities of "+r.Arg.ID, r.Arg.Verified, []string{dsrflow.IdentityEmail})
	}
	eq(t, "billing job", out.Jobs[jobID("billing", dsrflow.ActionAccess)], connectors.StatusIdentityConflict)
	eq(t, "crm job", out.Jobs[jobID("crm", dsrflow.ActionAccess)], connectors.StatusCompleted)

	ev := h.eventsNamed("identity_conflict")
	if len(ev) != 1 {
		t.Fatalf("identity_conflict events: %+v, want 1", ev)
	}
	eq(t, "conflict detail", ev[0].Detail, map[string]string{"connector": "billing", "action": "access"})
	for _, e := range h.trail {
		for _, s := range append(slices.Collect(maps.Values(e.Detail)), e.Reason) {
			if strings.Contains(s, "B-john") || strings.Contains(s, subjectEmail) {
				t.Fatalf("audit event %s quotes an identifier: %+v", e.Action, e)
			}
		}
	}
	var conflictAlerts int
	for _, a := range h.alerts {
		if strings.HasPrefix(a.Arg.Alert.Title, "Identity conflict: connector billing") {
			conflictAlerts++
			if strings.Contains(a.Arg.Alert.Title+a.Arg.Alert.Text, "B-john") {
				t.Fatalf("alert quotes the identifier: %+v", a.Arg.Alert)
			}
		}
	}
	eq(t, "conflict alerts", conflictAlerts, 1)
	if len(h.eventsNamed("job_escalated")) != 0 {
		t.Fatal("a conflict escalated as a failure")
	}
	resp := h.onlyRespond()
	i := slices.IndexFunc(resp.Outcomes, func(o activities.JobOutcome) bool { return o.Connector.ID == "billing" })
	if i < 0 || resp.Outcomes[i].Status != connectors.StatusIdentityConflict {
		t.Fatalf("answer outcomes %+v, want billing's identity_conflict", resp.Outcomes)
	}
}

// An agent's attestation verifies every identifier the agent entered.
func TestAttestedRequestVerifiesEveryIdentifier(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyAgentAttested)
	in.Identity.CustomerIDs = map[string]string{"billing": "B-7"}
	h := newHarness(t, in)
	h.execute()
	if len(h.runs) == 0 {
		t.Fatal("no jobs ran")
	}
	for _, r := range h.runs {
		eq(t, "verified identities", r.Arg.Verified, []string{"customer_id:billing", "email", "name"})
	}
}
