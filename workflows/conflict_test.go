package workflows_test

import (
	"maps"
	"reflect"
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
// not done: the answer carries the conflict, not a completed search. This is how a request of
// revision 1 ends; from revision 2 the conflicted job waits for an agent (the tests below).
func TestIdentityConflictIsAuditedAlertedAndNotDone(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyEmailCode)
	in.Version = 1
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

// conflictHarness is the attack of issue 14 under revision 2: billing answers identity_conflict while
// B-john is given unverified, completed once it is verified, not_found without it.
func conflictHarness(t *testing.T) *harness {
	in := newInput(dsrflow.Access, dsrflow.VerifyEmailCode)
	in.Identity.CustomerIDs = map[string]string{"billing": "B-john"}
	in.Link = "https://dsr.example.com/api/v1/requests/" + requestID
	h := newHarness(t, in)
	h.run["billing"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		switch {
		case job.Identities.CustomerIDs["billing"] == "":
			return h.outcome(job, connectors.StatusNotFound), nil
		case slices.Contains(job.Verified, "customer_id:billing"):
			return h.outcome(job, connectors.StatusCompleted), nil
		}
		o := h.outcome(job, connectors.StatusIdentityConflict)
		o.Detail = "an identifier given with the request matches a record that the verified identity does not reach"
		return o, nil
	}
	h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
	return h
}

var (
	billingJob   = jobID("billing", dsrflow.ActionAccess)
	conflictTask = requestID + ".billing.access.conflict"
)

// waiting is what the workflow shows at a moment while the conflict is open.
type waiting struct {
	state    workflows.State
	tasks    []workflows.TaskView
	responds int
}

func (h *harness) waitingAt(d time.Duration) *waiting {
	w := &waiting{}
	h.at(d, func() {
		for name, into := range map[string]any{workflows.QueryState: &w.state, workflows.QueryTasks: &w.tasks} {
			v, err := h.env.QueryWorkflow(name)
			if err == nil {
				err = v.Get(into)
			}
			if err != nil {
				h.t.Errorf("query %s: %v", name, err)
			}
		}
		h.mu.Lock()
		w.responds = len(h.responds)
		h.mu.Unlock()
	})
	return w
}

// assertOpenConflict checks the conflict as an agent finds it: an open task of kind identity_conflict
// for billing's job, with the email marked verified and the customer id not, the job waiting for a
// person, and no answer sent.
func (w *waiting) assertOpenConflict(t *testing.T) {
	t.Helper()
	if w.responds != 0 {
		t.Fatalf("the request answered while the conflict was open (%d answers)", w.responds)
	}
	eq(t, "jobs waiting for a person", w.state.JobsEscalated, []string{billingJob})
	eq(t, "status while waiting", w.state.Status, dsrflow.StatusFulfilling)
	i := slices.IndexFunc(w.tasks, func(v workflows.TaskView) bool { return v.Kind == workflows.TaskIdentityConflict })
	if i < 0 {
		t.Fatalf("tasks while waiting: %+v, want the conflict's", w.tasks)
	}
	task := w.tasks[i]
	if task.ID != conflictTask || task.Kind != workflows.TaskIdentityConflict || task.JobID != billingJob || task.Status != workflows.TaskOpen || task.Connector != "billing" {
		t.Fatalf("conflict task = %+v", task)
	}
	eq(t, "task's verified identities", task.Verified, []string{dsrflow.IdentityEmail})
	eq(t, "task's identifiers", task.Identity.CustomerIDs["billing"], "B-john")
}

// The agent confirms with the subject that B-john is theirs: the job runs again under a new job id with
// every identifier verified, and the request answers with its result. Wrong resolutions are refused:
// an escalated job's, a confirm without a reason, a reviewer's, and a team's answer to the task.
func TestIdentityConflictConfirmedRunsAgainVerified(t *testing.T) {
	h := conflictHarness(t)
	// A manual task keeps the request open after the confirm, to show the conflict task resolved.
	h.subsidiaries = append(h.subsidiaries, archive)
	h.update(5*day, workflows.UpdateTask, taskVote(dsrflow.VoteNothingFound, ""))
	w := h.waitingAt(2 * day)
	retry := h.update(2*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: billingJob, Action: workflows.ResolveRetry})
	bare := h.update(2*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: billingJob, Action: workflows.ResolveConfirm})
	byReviewer := h.update(2*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: reviewer, JobID: billingJob, Action: workflows.ResolveConfirm, Reason: "x"})
	vote := h.update(2*day, workflows.UpdateTask, dsrflow.Vote{ReviewID: conflictTask, Kind: dsrflow.ReviewTask, Action: dsrflow.VoteDone, Reviewer: "token:agent-1"})
	reason := "the subject confirmed the customer number by phone from the number on file"
	confirm := h.update(3*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: billingJob, Action: workflows.ResolveConfirm, Reason: reason})
	after := h.waitingAt(4 * day)

	out := h.execute()

	w.assertOpenConflict(t)
	eq(t, "retry of a conflict", errType(retry.rejected), dsrflow.EINVALID)
	eq(t, "confirm without a reason", errType(bare.rejected), dsrflow.EINVALID)
	eq(t, "confirm by a reviewer", errType(byReviewer.rejected), dsrflow.EFORBIDDEN)
	eq(t, "a team's answer to the conflict task", errType(vote.rejected), dsrflow.EINVALID)
	if !confirm.completed || confirm.err != nil {
		t.Fatalf("confirm: %+v", confirm)
	}

	confirmed := billingJob + ":confirmed"
	var runs []connectors.Job
	for _, r := range h.runs {
		if r.Arg.Connector == "billing" {
			runs = append(runs, r.Arg)
		}
	}
	if len(runs) != 2 || runs[1].ID != confirmed {
		t.Fatalf("billing runs %+v, want the conflicted one and %s", runs, confirmed)
	}
	eq(t, "verified identities of the confirmed run", runs[1].Verified, []string{"customer_id:billing", "email", "name"})
	eq(t, "outcome of the confirmed run", out.Jobs[confirmed], connectors.StatusCompleted)
	if _, ok := out.Jobs[billingJob]; ok {
		t.Errorf("the conflicted run is among the answer's jobs: %+v", out.Jobs)
	}
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	resolved := h.eventsNamed("job_resolved")
	if len(resolved) != 1 || resolved[0].Actor != agent.ID || resolved[0].Reason != reason || resolved[0].Detail["resolution"] != workflows.ResolveConfirm {
		t.Fatalf("job_resolved events %+v, want the agent's confirm with the reason", resolved)
	}
	// The conflicted run stays on record under its own id.
	if !slices.ContainsFunc(h.recorded, func(o activities.JobOutcome) bool {
		return o.JobID == billingJob && o.Status == connectors.StatusIdentityConflict
	}) {
		t.Errorf("the conflicted run was not recorded: %+v", h.recorded)
	}
	if i := slices.IndexFunc(after.tasks, func(v workflows.TaskView) bool { return v.ID == conflictTask }); i < 0 ||
		after.tasks[i].Status != workflows.TaskConfirmed || after.tasks[i].By != agent.ID || after.tasks[i].Reason != reason {
		t.Errorf("tasks after the confirm: %+v", after.tasks)
	}
	// The alert points at the task and quotes no identifier.
	var alert *dsrflow.Alert
	for _, a := range h.alerts {
		if strings.HasPrefix(a.Arg.Alert.Title, "Identity conflict") {
			alert = &a.Arg.Alert
		}
	}
	if alert == nil || alert.Link != "https://dsr.example.com/api/v1/tasks/"+conflictTask || strings.Contains(alert.Title+alert.Text, "B-john") {
		t.Fatalf("conflict alert %+v, want one linking the task without the identifier", alert)
	}
}

// The agent drops the identifier: the job runs again under a new job id with the verified identities
// only, and the answer holds that search, with no conflict left in it.
func TestIdentityConflictDroppedRunsWithoutUnverifiedIdentifiers(t *testing.T) {
	h := conflictHarness(t)
	w := h.waitingAt(2 * day)
	drop := h.update(3*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: billingJob, Action: workflows.ResolveDrop})

	out := h.execute()

	w.assertOpenConflict(t)
	if !drop.completed || drop.err != nil {
		t.Fatalf("drop: %+v", drop)
	}
	dropped := billingJob + ":dropped"
	var last connectors.Job
	for _, r := range h.runs {
		if r.Arg.Connector == "billing" {
			last = r.Arg
		}
	}
	eq(t, "last billing run", last.ID, dropped)
	if !reflect.DeepEqual(last.Identities, dsrflow.Identity{Email: subjectEmail}) {
		t.Fatalf("identities of the dropped run %+v, want the verified email only", last.Identities)
	}
	eq(t, "verified identities of the dropped run", last.Verified, []string{dsrflow.IdentityEmail})
	eq(t, "outcome of the dropped run", out.Jobs[dropped], connectors.StatusNotFound)
	for _, o := range h.onlyRespond().Outcomes {
		if o.Status == connectors.StatusIdentityConflict {
			t.Fatalf("the answer still carries a conflict: %+v", o)
		}
	}
}

// Nobody resolves the conflict: the request stays open past its due date (overdue escalations, daily
// then weekly, as for any job waiting for a person) and answers nothing, until it ends; canceled in
// Temporal, its answer says the system has not answered and why.
func TestIdentityConflictNeverResolvedKeepsTheRequestOpen(t *testing.T) {
	h := conflictHarness(t)
	w := h.waitingAt(2 * day)
	late := h.waitingAt(100 * day)
	h.at(100*day+time.Hour, func() { h.env.CancelWorkflow() })

	h.env.ExecuteWorkflow(workflows.Request, h.in)

	w.assertOpenConflict(t)
	late.assertOpenConflict(t)
	overdue := h.eventsNamed("overdue_escalation")
	if len(overdue) < 14 || len(overdue) > 14+12 {
		t.Errorf("%d overdue escalations in the 70 days past due, want 14 daily then weekly", len(overdue))
	}
	resp := h.onlyRespond()
	eq(t, "answer status", resp.Status, dsrflow.StatusCanceled)
	i := slices.IndexFunc(resp.Outcomes, func(o activities.JobOutcome) bool { return o.Connector.ID == "billing" })
	if i < 0 || resp.Outcomes[i].Status != connectors.StatusIdentityConflict {
		t.Fatalf("answer outcomes %+v, want billing's identity_conflict", resp.Outcomes)
	}
}
