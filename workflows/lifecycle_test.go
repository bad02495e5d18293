package workflows_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/histories"
	"github.com/dsrflow/dsrflow/workflows"
)

// Revision 2 under the faults of issue 13: a job's escalation point is fixed when it starts, a job not
// finished by then is escalated once and waits for a person, and the history stays bounded whatever the
// outside world does.

// counted runs the harness's workflow with the history estimate on.
func counted(h *harness) *histories.Counter {
	c := histories.New()
	h.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{c}})
	// The server's default task timeout: a local activity's short retries stay inside the task, as in
	// production (the test environment's 1 s would turn them into timers).
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{WorkflowTaskTimeout: 10 * time.Second})
	return c
}

// escalationPoint is the fixed point of a job started at receipt: the due date minus the margin.
func escalationPoint(in workflows.RequestInput) time.Time {
	return in.Due.Add(-workflows.CurrentPolicy().JobMargin)
}

// A connector down for the whole month: its retries run inside one activity until the fixed point,
// the job is escalated once there (audit event and alert), and the request then waits for a person,
// who marks it failed; the subject's answer reports it with the person's reason.
func TestConnectorDownAllMonthEscalatesOnceThenAPersonDecides(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyAgentAttested))
	count := counted(h)
	h.run["crm"] = func(connectors.Job, int) (activities.JobOutcome, error) {
		return activities.JobOutcome{}, errors.New("connector answered 503")
	}
	crmJob := jobID("crm", dsrflow.ActionAccess)
	early := h.update(10*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: crmJob, Action: workflows.ResolveDone})
	waiting := h.queryAt(35 * day)
	reason := "the CRM was retired in 2025; its data went to billing"
	h.update(40*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: crmJob, Action: workflows.ResolveFailed, Reason: reason})

	out := h.execute()

	if early.refusal() == nil {
		t.Error("a job not yet escalated was resolved")
	}
	esc := h.eventsNamed("job_escalated")
	if len(esc) != 1 || !esc[0].At.Equal(escalationPoint(h.in)) {
		t.Fatalf("job_escalated events %+v, want one at the fixed point %s", esc, escalationPoint(h.in))
	}
	eq(t, "escalated jobs while waiting", waiting.JobsEscalated, []string{crmJob})
	resolved := h.eventsNamed("job_resolved")
	if len(resolved) != 1 || resolved[0].Actor != agent.ID || resolved[0].Reason != reason {
		t.Fatalf("job_resolved events %+v, want one by %s with the reason", resolved, agent.ID)
	}
	eq(t, "outcome", out.Jobs[crmJob], connectors.StatusFailed)
	for _, o := range h.onlyRespond().Outcomes {
		if o.JobID == crmJob {
			eq(t, "answer's detail", o.Detail, reason)
			eq(t, "the detail is the subject's to read", o.ToSubject, true)
		}
	}
	if n := count.Max(); n > 400 {
		t.Errorf("history of a month-long connector outage: about %d events, want a few hundred at most", n)
	}
}

// An accepted job that never calls back is polled inside one activity up to the fixed point, escalated
// once there, and waits; a late callback, days after the due date, still answers it. The history of
// the 45 days stays far below the server's limits.
func TestAcceptedJobNeverCallingBackEscalatesOnceAtTheFixedPoint(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyNone))
	count := counted(h)
	h.subsidiaries = []activities.ConnectorRef{crm}
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	h.poll = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusPending), nil
	}
	crmJob := jobID("crm", dsrflow.ActionAccess)
	h.at(45*day, func() {
		h.env.SignalWorkflow(workflows.SignalJobResult, workflows.JobResult{JobID: crmJob, Result: connectors.Result{JobID: crmJob, Status: connectors.StatusCompleted, Detail: "2 records"}})
	})

	out := h.execute()

	esc := h.eventsNamed("job_escalated")
	if len(esc) != 1 || !esc[0].At.Equal(escalationPoint(h.in)) {
		t.Fatalf("job_escalated events %+v, want one at %s", esc, escalationPoint(h.in))
	}
	eq(t, "await activities", len(h.awaits), 1)
	eq(t, "outcome", out.Jobs[crmJob], connectors.StatusCompleted)
	overdue := h.eventsNamed("overdue_escalation")
	if len(overdue) == 0 || len(overdue) > 15 {
		t.Errorf("%d overdue escalations in the 15 days past due, want daily ones", len(overdue))
	}
	n := count.Max()
	t.Logf("history events (estimate) over 45 days: %d", n)
	if n > 2000 {
		t.Errorf("history of an accepted job never answered: about %d events over 45 days, want under 2,000", n)
	}
}

// An extension moves the escalation point of a running job to the new due date less the margin.
func TestExtensionMovesTheEscalationPoint(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyNone))
	h.subsidiaries = []activities.ConnectorRef{crm}
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	h.poll = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusPending), nil
	}
	h.update(5*day, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: "the archive must be searched by hand"})
	crmJob := jobID("crm", dsrflow.ActionAccess)
	h.update(90*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: crmJob, Action: workflows.ResolveNotFound, Reason: "searched by hand"})

	out := h.execute()

	want := h.in.ExtendedDue.Add(-workflows.CurrentPolicy().JobMargin)
	esc := h.eventsNamed("job_escalated")
	if len(esc) != 1 || !esc[0].At.Equal(want) {
		t.Fatalf("job_escalated events %+v, want one at the extended point %s", esc, want)
	}
	eq(t, "outcome", out.Jobs[crmJob], connectors.StatusNotFound)
}

// A store outage of a day: the request's first write is retried in rounds further and further apart
// (up to an hour), not once a minute, and the request goes on when the store is back.
func TestStoreOutageOfADayKeepsTheHistoryBounded(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyAgentAttested))
	count := counted(h)
	h.storeDownUntil = start.Add(day)

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	if first := h.transitions[0]; first.Event.At.Before(start) || h.env.Now().Before(start.Add(day)) {
		t.Errorf("first write %+v", first.Event)
	}
	n := count.Max()
	t.Logf("history events (estimate) with a day of store outage: %d", n)
	if n > 400 {
		t.Errorf("a day of store outage cost about %d history events, want a few hundred at most", n)
	}
}

// A manual task nobody answers: a few reminders, one escalation at the fixed point, then silence until
// the team answers.
func TestManualTaskNeverAnsweredRemindsAFewTimesAndEscalatesOnce(t *testing.T) {
	archive := activities.ConnectorRef{ID: "archive", Owner: "Records", Role: connectors.RoleSubsidiary, Kind: connectors.KindManual, Channel: "C-ARCHIVE", Instructions: "Search the paper archive."}
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyAgentAttested))
	h.subsidiaries = []activities.ConnectorRef{archive}
	h.update(60*day, workflows.UpdateTask, dsrflow.Vote{ReviewID: requestID + ".archive", Kind: dsrflow.ReviewTask, Action: dsrflow.VoteNothingFound, Reviewer: "token:agent-1"})

	out := h.execute()

	eq(t, "task reminders", len(h.eventsNamed("task_reminder")), workflows.CurrentPolicy().TaskReminders)
	esc := h.eventsNamed("task_escalated")
	if len(esc) != 1 || !esc[0].At.Equal(escalationPoint(h.in)) {
		t.Fatalf("task_escalated events %+v, want one at %s", esc, escalationPoint(h.in))
	}
	eq(t, "outcome", out.Jobs[jobID("archive", dsrflow.ActionAccess)], connectors.StatusNotFound)
	// Overdue escalations: daily for two weeks, then weekly.
	var overdue []time.Time
	for _, e := range h.eventsNamed("overdue_escalation") {
		overdue = append(overdue, e.At)
	}
	if len(overdue) != 14+2 {
		t.Errorf("overdue escalations at %v, want 14 daily then 2 weekly in the 30 days past due", overdue)
	}
}

// A worker that does not know a request's revision refuses it: the workflow task fails (a panic),
// nothing is written, and a newer worker can run it later.
func TestNewerRevisionIsRefused(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyAgentAttested)
	in.Version = workflows.RequestVersion + 1
	h := newHarness(t, in)

	h.env.ExecuteWorkflow(workflows.Request, h.in)

	var panicErr *temporal.PanicError
	if err := h.env.GetWorkflowError(); !errors.As(err, &panicErr) {
		t.Fatalf("workflow error %v, want the workflow task to fail (a panic)", err)
	}
	if len(h.transitions)+len(h.audits)+len(h.runs)+len(h.responds) != 0 {
		t.Errorf("a refused revision wrote: %d transitions, %d audits, %d jobs, %d answers", len(h.transitions), len(h.audits), len(h.runs), len(h.responds))
	}
}

// Canceled in Temporal itself (the UI's Cancel button): the workflow records its own end, the row
// closed as canceled with an audit event by "temporal", and the subject told.
func TestTemporalCancelRecordsTheEnd(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	h.at(day, func() { h.env.CancelWorkflow() })

	h.env.ExecuteWorkflow(workflows.Request, h.in)

	var canceled *temporal.CanceledError
	if err := h.env.GetWorkflowError(); !errors.As(err, &canceled) {
		t.Fatalf("workflow error %v, want canceled", err)
	}
	resp := h.onlyRespond()
	eq(t, "answer status", resp.Status, dsrflow.StatusCanceled)
	if resp.End == nil || resp.End.Event.Action != "request_canceled_by_operator" || resp.End.Event.Actor != "temporal" || resp.End.Request.ClosedAt == nil {
		t.Fatalf("end recorded %+v, want the row closed with request_canceled_by_operator by temporal", resp.End)
	}
	eq(t, "last row", lastRow(h).Status, dsrflow.StatusCanceled)
}
