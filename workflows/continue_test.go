package workflows_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// Continue-as-new (issue 13, bounded histories): a request that waits for weeks hands its state to a new
// run at a safe point, and the runs together do what one run would: every mail, job, card and audit
// event once, every answer and callback taken.

// chain runs a request across its runs. The test environment does not start the run a continue-as-new
// asks for, so chain does: each run is a fresh harness started at the virtual time the previous run
// ended, with the input it carried; callbacks not yet due move to the run current at their time.
type chain struct {
	t  *testing.T
	in workflows.RequestInput
	// setup configures each run's harness (connectors, their answers).
	setup func(h *harness)
	// longAfter makes each run's history "long" this long after the run starts (the server's
	// suggestion on the odd runs, dsrflow's own bound on the even ones).
	longAfter time.Duration
	// gap is how long after a run continues the next one starts (a worker that was down).
	gap   time.Duration
	steps []*chainStep
	runs  []*harness
	// all holds every run's recorded calls, in run order.
	all *harness
}

type chainStep struct {
	at   time.Time
	fn   func(h *harness)
	done bool
	// update is the step's update, when it sends one.
	update *updateResult
}

// at runs fn at start+d, in whichever run is current then.
func (c *chain) at(d time.Duration, fn func(h *harness)) {
	c.steps = append(c.steps, &chainStep{at: start.Add(d), fn: fn})
}

// update sends an update at start+d; the result is the caller's view of it.
func (c *chain) update(d time.Duration, name string, arg any) *updateResult {
	u := &updateResult{}
	c.at(d, func(h *harness) { h.sendTo(u, name, arg) })
	c.steps[len(c.steps)-1].update = u
	return u
}

// redeliver sends again, at the next run's start, the updates that a run ended (continued as new)
// before accepting or rejecting them, as the server does: it aborts them with a retryable error and
// the client's retry reaches the new run (go.temporal.io/server service/history/workflow/update,
// abort_reason.go, AbortReasonWorkflowContinuing). An accepted update is never left behind: the run
// continues only once every handler has finished.
func (c *chain) redeliver(from time.Time) {
	for _, s := range c.steps {
		if u := s.update; u != nil && s.done && !u.accepted && u.rejected == nil {
			if u.completed {
				c.t.Fatalf("update completed without being accepted: %+v", u)
			}
			s.done, s.at = false, from
			*u = updateResult{}
		}
	}
}

// execute runs the request to its end over as many runs as it takes.
func (c *chain) execute() workflows.Outcome {
	c.t.Helper()
	in, from := c.in, start
	for n := 1; ; n++ {
		if n > 40 {
			c.t.Fatal("more than 40 runs")
		}
		h := newHarness(c.t, in)
		h.env.SetStartTime(from)
		if c.setup != nil {
			c.setup(h)
		}
		for _, s := range c.steps {
			if s.done || s.at.Before(from) {
				continue
			}
			h.env.RegisterDelayedCallback(func() { s.done = true; s.fn(h) }, s.at.Sub(from))
		}
		suggest := n%2 == 1
		h.env.RegisterDelayedCallback(func() {
			if suggest {
				h.env.SetContinueAsNewSuggested(true)
			} else {
				h.env.SetCurrentHistoryLength(workflows.ContinueAsNewAfterEvents)
			}
		}, c.longAfter)
		c.runs = append(c.runs, h)
		h.env.ExecuteWorkflow(workflows.Request, in)
		if !h.env.IsWorkflowCompleted() {
			c.t.Fatalf("run %d did not complete", n)
		}
		err := h.env.GetWorkflowError()
		var next *workflow.ContinueAsNewError
		if errors.As(err, &next) {
			in = workflows.RequestInput{}
			if err := converter.GetDefaultDataConverter().FromPayloads(next.Input, &in); err != nil {
				c.t.Fatalf("run %d: carried input: %v", n, err)
			}
			if in.Carried == nil || in.Carried.Runs != n {
				c.t.Fatalf("run %d continued without its state: %+v", n, in.Carried)
			}
			from = h.env.Now().Add(c.gap)
			c.redeliver(from)
			continue
		}
		if err != nil {
			c.t.Fatalf("run %d failed: %v", n, err)
		}
		var out workflows.Outcome
		if err := h.env.GetWorkflowResult(&out); err != nil {
			c.t.Fatalf("workflow result: %v", err)
		}
		c.merge()
		return out
	}
}

// merge gathers the runs' recorded calls into c.all.
func (c *chain) merge() {
	all := &harness{t: c.t}
	for _, h := range c.runs {
		h.mu.Lock()
		all.transitions = append(all.transitions, h.transitions...)
		all.audits = append(all.audits, h.audits...)
		all.trail = append(all.trail, h.trail...)
		all.codes = append(all.codes, h.codes...)
		all.mails = append(all.mails, h.mails...)
		all.runs = append(all.runs, h.runs...)
		all.awaits = append(all.awaits, h.awaits...)
		all.recorded = append(all.recorded, h.recorded...)
		all.responds = append(all.responds, h.responds...)
		all.cards = append(all.cards, h.cards...)
		all.cardUpdates = append(all.cardUpdates, h.cardUpdates...)
		all.alerts = append(all.alerts, h.alerts...)
		all.upserts = append(all.upserts, h.upserts...)
		h.mu.Unlock()
	}
	c.all = all
}

// assertEachEventOnce fails when an audit event (action, time and detail) was written twice.
func (c *chain) assertEachEventOnce() {
	c.t.Helper()
	seen := map[string]bool{}
	for _, e := range c.all.events() {
		key := fmt.Sprintf("%s %s %v", e.Action, e.At.Format(time.RFC3339Nano), e.Detail)
		if seen[key] {
			c.t.Errorf("audit event written twice across runs: %s", key)
		}
		seen[key] = true
	}
}

// A manual task nobody answers and a connector that never answers, over two months: the request
// continues as new every few days while it waits, and the runs together remind the team the policy's
// number of times, escalate the task and the job once each at the fixed point, post one card, write
// each overdue escalation once, and answer once with the team's and the agent's answers.
func TestLongWaitContinuesAsNewAndEndsOnce(t *testing.T) {
	archive := activities.ConnectorRef{ID: "archive", Owner: "Records", Role: connectors.RoleSubsidiary, Kind: connectors.KindManual, Channel: "C-ARCHIVE", Instructions: "Search the paper archive."}
	c := &chain{t: t, in: newInput(dsrflow.Access, dsrflow.VerifyAgentAttested), longAfter: 4 * day}
	c.setup = func(h *harness) {
		h.subsidiaries = []activities.ConnectorRef{archive, crm}
		h.run["crm"] = func(connectors.Job, int) (activities.JobOutcome, error) {
			return activities.JobOutcome{}, errors.New("connector answered 503")
		}
	}
	crmJob := jobID("crm", dsrflow.ActionAccess)
	c.update(60*day, workflows.UpdateTask, dsrflow.Vote{ReviewID: requestID + ".archive", Kind: dsrflow.ReviewTask, Action: dsrflow.VoteNothingFound, Reviewer: "token:agent-1"})
	reason := "the CRM was retired in 2025"
	resolved := c.update(61*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: crmJob, Action: workflows.ResolveFailed, Reason: reason})

	out := c.execute()

	if len(c.runs) < 3 {
		t.Fatalf("%d runs, want the request to continue as new several times while it waits", len(c.runs))
	}
	t.Logf("runs: %d", len(c.runs))
	if resolved.refusal() != nil || !resolved.completed {
		t.Fatalf("the agent's resolution after the runs: %+v", resolved)
	}
	all := c.all
	eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCompleted, Jobs: map[string]connectors.Status{
		jobID("archive", dsrflow.ActionAccess): connectors.StatusNotFound,
		crmJob:                                 connectors.StatusFailed,
	}})
	eq(t, "task cards posted", len(all.cards), 1)
	eq(t, "task_created events", len(all.eventsNamed("task_created")), 1)
	eq(t, "task reminders", len(all.eventsNamed("task_reminder")), workflows.CurrentPolicy().TaskReminders)
	for _, name := range []string{"task_escalated", "job_escalated"} {
		esc := all.eventsNamed(name)
		if len(esc) != 1 || !esc[0].At.Equal(escalationPoint(c.in)) {
			t.Errorf("%s events %+v, want one at the fixed point %s", name, esc, escalationPoint(c.in))
		}
	}
	eq(t, "deadline reminders", len(all.eventsNamed("deadline_reminder")), len(workflows.CurrentPolicy().RemindBefore))
	if n := len(all.eventsNamed("overdue_escalation")); n != 14+2 {
		t.Errorf("%d overdue escalations in the 31 days past due, want 14 daily then 2 weekly", n)
	}
	eq(t, "request_received events", len(all.eventsNamed("request_received")), 1)
	eq(t, "fulfilment_started events", len(all.eventsNamed("fulfilment_started")), 1)
	c.assertEachEventOnce()
	resp := all.onlyRespond()
	eq(t, "answer status", resp.Status, dsrflow.StatusCompleted)
	for _, o := range resp.Outcomes {
		if o.JobID == crmJob {
			eq(t, "answer's detail for the retired CRM", o.Detail, reason)
		}
	}
	// The connector's retries ran in the first run only; no continued run called it again.
	for i, h := range c.runs[1:] {
		if len(h.runs) != 0 {
			t.Errorf("run %d called the connector %d times again", i+2, len(h.runs))
		}
	}
}

// A request waiting for its code continues as new: no second code mail, the reminders once each at
// their times, and the code entered in a later run verifies it.
func TestCodeWaitContinuesAsNewWithoutASecondMail(t *testing.T) {
	c := &chain{t: t, in: newInput(dsrflow.Access, dsrflow.VerifyEmailCode), longAfter: 2 * day}
	verified := c.update(10*day, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})

	out := c.execute()

	if len(c.runs) < 3 {
		t.Fatalf("%d runs, want several", len(c.runs))
	}
	if verified.refusal() != nil {
		t.Fatalf("the code entered on day 10 was refused: %v", verified.refusal())
	}
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "codes mailed", c.all.codeKinds(), []string{"code", "reminder", "reminder"})
	eq(t, "identity_verified events", len(c.all.eventsNamed("identity_verified")), 1)
	eq(t, "verification_started events", len(c.all.eventsNamed("verification_started")), 1)
	c.assertEachEventOnce()
}

// An update and a callback that come in the very task in which the history grows long are not lost:
// the code entered wins over the continue-as-new; a connector's callback for an escalated job is
// taken, in this run or carried into the next.
func TestMessagesAroundContinueAsNewAreNotLost(t *testing.T) {
	t.Run("update", func(t *testing.T) {
		c := &chain{t: t, in: newInput(dsrflow.Access, dsrflow.VerifyEmailCode), longAfter: 100 * day}
		verified := &updateResult{}
		c.at(5*day, func(h *harness) {
			h.env.SetContinueAsNewSuggested(true)
			h.sendTo(verified, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
		})
		c.steps[len(c.steps)-1].update = verified

		out := c.execute()

		if verified.refusal() != nil || !verified.completed {
			t.Fatalf("update sent as the history grew long: %+v", verified)
		}
		t.Logf("runs: %d", len(c.runs))
		eq(t, "status", out.Status, dsrflow.StatusCompleted)
		eq(t, "identity_verified events", len(c.all.eventsNamed("identity_verified")), 1)
		c.assertEachEventOnce()
	})
	for _, tc := range []struct {
		name  string
		after time.Duration
		runs  int
	}{
		{"callback in the same task", 0, 1},
		{"callback to the next run", time.Hour, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &chain{t: t, in: newInput(dsrflow.Access, dsrflow.VerifyNone), longAfter: 100 * day}
			c.setup = func(h *harness) {
				h.subsidiaries = []activities.ConnectorRef{crm}
				h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
					return h.outcome(job, connectors.StatusAccepted), nil
				}
				h.poll = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
					return h.outcome(job, connectors.StatusPending), nil
				}
			}
			crmJob := jobID("crm", dsrflow.ActionAccess)
			// The job escalates at its point (day 27) and waits for a person; on day 32 the history
			// grows long, and the connector's callback comes.
			c.at(32*day, func(h *harness) { h.env.SetContinueAsNewSuggested(true) })
			c.at(32*day+tc.after, func(h *harness) {
				h.env.SignalWorkflow(workflows.SignalJobResult, workflows.JobResult{JobID: crmJob, Result: connectors.Result{JobID: crmJob, Status: connectors.StatusCompleted, Detail: "2 records"}})
			})

			out := c.execute()

			eq(t, "runs", len(c.runs), tc.runs)
			eq(t, "outcome", out.Jobs[crmJob], connectors.StatusCompleted)
			eq(t, "job_escalated events", len(c.all.eventsNamed("job_escalated")), 1)
			eq(t, "connector calls", len(c.all.runs), 1)
			c.assertEachEventOnce()
		})
	}
}

// An objection waiting three weeks for its reviewer continues as new: one card posted, the reviewer's
// decision recorded once, the card updated once, and the object jobs run after the decision.
func TestReviewWaitContinuesAsNew(t *testing.T) {
	in := newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested)
	in.Grounds = "my particular situation"
	c := &chain{t: t, in: in, longAfter: 3 * day}
	decided := c.update(21*day, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionApprove, Reason: "no compelling grounds"})

	out := c.execute()

	if len(c.runs) < 3 {
		t.Fatalf("%d runs, want several", len(c.runs))
	}
	if decided.refusal() != nil || !decided.completed {
		t.Fatalf("the reviewer's decision: %+v", decided)
	}
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "review cards posted", len(c.all.cards), 1)
	eq(t, "review cards updated", len(c.all.cardUpdates), 1)
	eq(t, "review_requested events", len(c.all.eventsNamed("review_requested")), 1)
	eq(t, "crm job", out.Jobs[jobID("crm", dsrflow.ActionObject)], connectors.StatusCompleted)
	for _, r := range c.all.runs {
		if r.At.Before(start.Add(21 * day)) {
			t.Errorf("job %s ran before the decision, at %s", r.Arg.ID, r.At)
		}
	}
	c.assertEachEventOnce()
}

// A job that ended identity_conflict waits for an agent across runs; the agent's drop runs it again
// without the unverified identifier, once.
func TestIdentityConflictWaitContinuesAsNew(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyEmailCode)
	in.Identity.CustomerIDs = map[string]string{"billing": "B-john"}
	c := &chain{t: t, in: in, longAfter: 3 * day}
	billingJob := jobID("billing", dsrflow.ActionAccess)
	c.setup = func(h *harness) {
		h.run["billing"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
			if job.ID == billingJob {
				return h.outcome(job, connectors.StatusIdentityConflict), nil
			}
			return h.outcome(job, connectors.StatusCompleted), nil
		}
	}
	c.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
	dropped := c.update(12*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: billingJob, Action: workflows.ResolveDrop})

	out := c.execute()

	if len(c.runs) < 3 {
		t.Fatalf("%d runs, want several", len(c.runs))
	}
	if dropped.refusal() != nil || !dropped.completed {
		t.Fatalf("the agent's drop: %+v", dropped)
	}
	eq(t, "dropped job", out.Jobs[billingJob+":dropped"], connectors.StatusCompleted)
	eq(t, "identity_conflict events", len(c.all.eventsNamed("identity_conflict")), 1)
	eq(t, "task_created events", len(c.all.eventsNamed("task_created")), 1)
	var billingRuns []string
	for _, r := range c.all.runs {
		if r.Arg.Connector == "billing" {
			billingRuns = append(billingRuns, r.Arg.ID)
		}
	}
	eq(t, "billing jobs run", billingRuns, []string{billingJob, billingJob + ":dropped"})
	c.assertEachEventOnce()
}

// A deadline reminder whose time passes while the runs change (the next run's first task comes an hour
// later) is still sent, once, by the next run.
func TestDeadlineReminderDueBetweenRunsIsSent(t *testing.T) {
	c := &chain{t: t, in: newInput(dsrflow.Access, dsrflow.VerifyAgentAttested), gap: time.Hour}
	c.setup = func(h *harness) {
		h.subsidiaries = []activities.ConnectorRef{crm}
		h.run["crm"] = func(connectors.Job, int) (activities.JobOutcome, error) {
			return activities.JobOutcome{}, errors.New("connector answered 503")
		}
	}
	// The first run grows long half an hour before the reminder two days before the due date; the
	// job waits for a person from its point (three days before), so the run continues then.
	reminder := c.in.Due.Add(-2 * day)
	c.longAfter = reminder.Add(-30 * time.Minute).Sub(start)
	crmJob := jobID("crm", dsrflow.ActionAccess)
	c.update(29*day, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: agent, JobID: crmJob, Action: workflows.ResolveNotFound, Reason: "searched by hand"})

	out := c.execute()

	eq(t, "runs", len(c.runs), 2)
	eq(t, "outcome", out.Jobs[crmJob], connectors.StatusNotFound)
	got := c.all.eventsNamed("deadline_reminder")
	if len(got) != 2 || got[1].At.Before(reminder) || got[1].At.After(reminder.Add(2*time.Hour)) {
		t.Fatalf("deadline reminders %+v, want the second one sent by the next run, soon after %s", got, reminder)
	}
	eq(t, "days left in the late reminder", got[1].Detail["days_left"], "2")
}

// A worker refuses carried state of a shape newer than it knows: the workflow task fails (a panic),
// nothing is written, and a newer worker can run it later.
func TestNewerCarriedShapeIsRefused(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyAgentAttested)
	in.Carried = &workflows.RequestCarried{Shape: 99, Phase: "fulfilling"}
	h := newHarness(t, in)

	h.env.ExecuteWorkflow(workflows.Request, h.in)

	var panicErr *temporal.PanicError
	if err := h.env.GetWorkflowError(); !errors.As(err, &panicErr) {
		t.Fatalf("workflow error %v, want the workflow task to fail (a panic)", err)
	}
	if len(h.transitions)+len(h.audits)+len(h.runs)+len(h.responds) != 0 {
		t.Errorf("a refused shape wrote: %d transitions, %d audits, %d jobs, %d answers", len(h.transitions), len(h.audits), len(h.runs), len(h.responds))
	}
}
