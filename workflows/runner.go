package workflows

import (
	"errors"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// jobRunner runs one workflow's connector jobs and keeps their bookkeeping: callback results, outcomes,
// manual tasks, escalations, audit events. The Request workflow embeds one; a disclosure's
// DisclosureSubject workflow runs one for its subject's jobs. Jobs run as jobs.go (revision 2) and
// tasks.go describe; bookkeeping.go writes to the store.
type jobRunner struct {
	// id is the request's (or the disclosure's) id: jobs, audit events, cards and the store's rows
	// carry it.
	id string
	// workflowID is the workflow running the jobs: a manual task's id starts with it, so that the front
	// door sends the team's answer there. The request's id, or a disclosure subject's workflow id.
	workflowID string
	// country is whose working days space task reminders; link is the request in the front door.
	country, link string
	// due is the due date in force (an extension moves a request's).
	due    time.Time
	policy RequestPolicy
	// revision is the request revision the jobs run under (RequestInput.Version); see bounded.
	revision int
	// endEscalated ends a job escalated at its point as failed instead of waiting for a person
	// (UpdateResolveJob): a disclosure's subject has no route for a resolution, and the authority's
	// answer reports what was not obtained.
	endEscalated bool
	// refused is set when a refusal stopped the request (refusal.go): a job its cancellation stopped is
	// recorded once, by recordStopped, not by the job's own bookkeeping.
	refused bool
	// results holds accepted jobs' results delivered by callback, by job id.
	results map[string]connectors.Result
	// outcomes are the finished jobs, in the order they finished.
	outcomes []act.JobOutcome
	pending  int
	// tasks are the manual connectors' jobs given to teams, in the order they were made.
	tasks []*task
	// hold keeps the bookkeeping of a request's first steps in held, to go out in one write (flush):
	// the last step's row, every step's event. It spans only code that does not block (flush comes
	// before the first wait on every path), so no update handler or timer runs while it holds.
	hold bool
	held *act.Transition
	// escalations are the jobs escalated at their point and waiting for a person (revision 2).
	escalations []*escalation
	// cont is the bookkeeping of continue-as-new (revision 2, carry.go): the jobs park their waits for
	// a person in it. Only the Request workflow reads it and continues as new; in a disclosure
	// subject's workflow the parked waits are bookkeeping nobody reads.
	cont continuation
}

// newJobRunner is the runner of request (or disclosure) id's jobs, run by the workflow of the same id.
func newJobRunner(id, country, link string, due time.Time, revision int) jobRunner {
	return jobRunner{id: id, workflowID: id, country: country, link: link, due: due, revision: revision,
		policy: CurrentPolicy(), results: map[string]connectors.Result{}}
}

// bounded reports whether the jobs run under revision 2 or later: fixed escalation points, polls inside
// one activity, finite reminders, a policy snapshot, short bookkeeping rounds.
func (r *jobRunner) bounded() bool { return r.revision >= 2 }

// receiveResults keeps the final results that connector callbacks signal (SignalJobResult), the first
// per job.
func (r *jobRunner) receiveResults(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalJobResult)
		for {
			var res JobResult
			ch.Receive(ctx, &res)
			if _, seen := r.results[res.JobID]; !seen && res.Result.Status.Final() {
				r.results[res.JobID] = res.Result
			}
		}
	})
}

// runPrepared runs a job already made: a request's own (runJob) or a disclosure subject's, limited to
// categories and to one subject.
func (r *jobRunner) runPrepared(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job) act.JobOutcome {
	if ref.Kind == connectors.KindManual {
		return r.runTask(ctx, ref, job)
	}
	if r.bounded() {
		return r.runBounded(ctx, ref, job, false)
	}
	action := job.Action
	failed := func(detail string) act.JobOutcome {
		r.audit(ctx, "job_escalated", map[string]string{"connector": ref.ID, "action": string(action)}, "system", detail)
		r.jobAlert(ctx, ref, action, detail)
		return act.JobOutcome{Connector: ref, JobID: job.ID, Action: action, Status: connectors.StatusFailed, Detail: detail}
	}
	// The give-up time is read afresh on every wait: an extension gives running jobs the new date.
	var out act.JobOutcome
	for {
		err := workflow.ExecuteActivity(jobOptions(ctx, r.jobDeadline(ctx).Sub(workflow.Now(ctx))), connectorActs.Run, job).Get(ctx, &out)
		if err == nil {
			break
		}
		var timeout *temporal.TimeoutError
		if !errors.As(err, &timeout) || !workflow.Now(ctx).Before(r.jobDeadline(ctx)) {
			return failed(jobFailure(err))
		}
	}
	// The first poll comes soon, then less often: a callback lost with a killed process (the kill -9
	// drill) costs a minute, not the whole PollEvery.
	wait := dsrflow.DeadlinePolicy.PollEvery
	if !out.Status.Final() && workflow.GetVersion(ctx, "poll-backoff:"+job.ID, workflow.DefaultVersion, 1) == 1 {
		wait = dsrflow.DeadlinePolicy.FirstPoll
	}
	for !out.Status.Final() {
		received := func() bool { _, ok := r.results[job.ID]; return ok }
		if r.awaitUntil(ctx, minTime(workflow.Now(ctx).Add(wait), r.jobDeadline(ctx)), received) {
			res := r.results[job.ID]
			out.Status, out.Detail, out.Exemptions, out.Counts, out.Datasets = res.Status, res.Detail, res.Exemptions, res.Counts, res.Datasets
			out.Items = res.Items
			break
		}
		if !workflow.Now(ctx).Before(r.jobDeadline(ctx)) {
			return failed("no result from the connector before the margin to the due date")
		}
		if err := workflow.ExecuteActivity(jobOptions(ctx, r.jobDeadline(ctx).Sub(workflow.Now(ctx))), connectorActs.Poll, job).Get(ctx, &out); err != nil {
			return failed(jobFailure(err))
		}
		wait = min(2*wait, dsrflow.DeadlinePolicy.PollEvery)
	}
	if out.Status == connectors.StatusFailed {
		// The connector itself could not do it: a person must follow up, as for any failed job.
		r.audit(ctx, "job_escalated", map[string]string{"connector": ref.ID, "action": string(action)}, "system", out.Detail)
		r.jobAlert(ctx, ref, action, out.Detail)
	}
	return out
}

// jobDeadline is when connector retries stop: a margin before the due date, but never less than a
// minimum window from now.
func (r *jobRunner) jobDeadline(ctx workflow.Context) time.Time {
	now := workflow.Now(ctx)
	limit := r.due.Add(-dsrflow.DeadlinePolicy.JobMargin)
	if floor := now.Add(dsrflow.DeadlinePolicy.MinJobWindow); limit.Before(floor) {
		return floor
	}
	return limit
}

// sortedOutcomes returns the finished jobs by job id, so the answer does not depend on finishing order.
func (r *jobRunner) sortedOutcomes() []act.JobOutcome {
	out := slices.Clone(r.outcomes)
	slices.SortFunc(out, func(a, b act.JobOutcome) int { return strings.Compare(a.JobID, b.JobID) })
	return out
}

// awaitUntil waits until cond holds (true) or the time comes (false).
func (r *jobRunner) awaitUntil(ctx workflow.Context, at time.Time, cond func() bool) bool {
	d := at.Sub(workflow.Now(ctx))
	if d <= 0 {
		return cond()
	}
	ok, _ := workflow.AwaitWithTimeout(ctx, d, cond)
	return ok
}

// sendAlert sends an alert through the notifier activity; a failure is audited, never fatal.
func (r *jobRunner) sendAlert(ctx workflow.Context, a dsrflow.Alert) {
	in := act.AlertInput{RequestID: r.id, Alert: a}
	if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.SendAlert, in).Get(ctx, nil); err != nil {
		r.audit(ctx, "alert_failed", nil, "system", "")
	}
}
