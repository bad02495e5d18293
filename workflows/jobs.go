package workflows

import (
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// A connector job under revision 2: its escalation point is fixed when it starts (the due date minus
// the margin; an extension moves it), the connector's retries and an accepted job's polls run inside
// one activity each, and a job not finished by its point is escalated once and then waits for a person
// (UpdateResolveJob) or a late callback, never for a timer. Its history is a handful of events
// whatever the connector does.

// escalation is a job waiting for a person: escalated at its point, or ended identity_conflict
// (conflict), which only ResolveConfirm or ResolveDrop resolves.
type escalation struct {
	jobID    string
	conflict bool
	resolved *ResolveJobInput
}

// escalationPoint is when a job started at started escalates: the margin before the due date in force,
// or MinJobWindow after its start when it started later than that.
func (r *jobRunner) escalationPoint(started time.Time) time.Time {
	at := r.due.Add(-r.policy.JobMargin)
	if floor := started.Add(r.policy.MinJobWindow); at.Before(floor) {
		return floor
	}
	return at
}

// runBounded runs one job of revision 2 to its outcome; waiting resumes a job that a previous run
// carried while it waited for a person (continue-as-new).
func (r *jobRunner) runBounded(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job, waiting bool) act.JobOutcome {
	action := job.Action
	escalate := func(detail string) {
		r.audit(ctx, "job_escalated", map[string]string{"connector": ref.ID, "action": string(action)}, "system", detail)
		r.jobAlert(ctx, ref, action, detail)
	}
	started := workflow.Now(ctx)
	for {
		if !waiting {
			out, late, err := r.attemptJob(ctx, job, started)
			switch {
			case ctx.Err() != nil:
				return act.JobOutcome{Connector: ref, JobID: job.ID, Action: action, Status: connectors.StatusFailed, Detail: "the request was canceled"}
			case err != nil:
				// The connector refused the job for good: escalated, as a failed job always was.
				detail := jobFailure(err)
				escalate(detail)
				return act.JobOutcome{Connector: ref, JobID: job.ID, Action: action, Status: connectors.StatusFailed, Detail: detail}
			case !late:
				out.Connector = ref
				if out.Status == connectors.StatusFailed {
					escalate(out.Detail)
				}
				return out
			}
			const noResult = "no result from the connector before the margin to the due date"
			escalate(noResult)
			if r.endEscalated {
				return act.JobOutcome{Connector: ref, JobID: job.ID, Action: action, Status: connectors.StatusFailed, Detail: noResult}
			}
		}
		waiting = false
		res, ok := r.awaitPerson(ctx, ref, job)
		if !ok {
			// A late callback answered the job while it waited.
			return r.fromCallback(act.JobOutcome{Connector: ref, JobID: job.ID, Action: action}, job.ID)
		}
		if ctx.Err() != nil {
			continue
		}
		out := act.JobOutcome{Connector: ref, JobID: job.ID, Action: action, Attempts: 1}
		switch res.Action {
		case ResolveRetry:
			started = workflow.Now(ctx)
			continue
		case ResolveDone:
			out.Status, out.Detail = connectors.StatusCompleted, "done by hand"
		case ResolveNotFound:
			out.Status, out.Detail = connectors.StatusNotFound, "nothing found by hand"
		default:
			out.Status, out.Detail, out.ToSubject = connectors.StatusFailed, strings.TrimSpace(res.Reason), true
		}
		return out
	}
}

// attemptJob submits the job and, when the connector accepted it, awaits its result until the job's
// escalation point. late reports that the point came first; err is a refusal (or a failure other
// than the point passing).
func (r *jobRunner) attemptJob(ctx workflow.Context, job connectors.Job, started time.Time) (out act.JobOutcome, late bool, err error) {
	arrived := func() bool { _, ok := r.results[job.ID]; return ok }
	for {
		point := r.escalationPoint(started)
		window := point.Sub(workflow.Now(ctx))
		if window < time.Minute {
			// The retries stopped short of the point (the next would pass it): the job escalates at
			// the point itself, as fixed.
			if r.awaitUntil(ctx, point, arrived) {
				return r.fromCallback(out, job.ID), false, nil
			}
			return out, true, nil
		}
		err := workflow.ExecuteActivity(untilPoint(jobOptions(ctx, window)), connectorActs.Run, job).Get(ctx, &out)
		if err == nil {
			break
		}
		if refused(err) || ctx.Err() != nil {
			return out, false, err
		}
		// The retries stopped at the point, unless an extension moved it meanwhile: the loop reads it
		// again.
	}
	for !out.Status.Final() {
		if _, ok := r.results[job.ID]; ok {
			return r.fromCallback(out, job.ID), false, nil
		}
		until := r.escalationPoint(started)
		window := until.Sub(workflow.Now(ctx))
		if window < time.Minute {
			if r.awaitUntil(ctx, until, arrived) {
				return r.fromCallback(out, job.ID), false, nil
			}
			return out, true, nil
		}
		actx, cancel := workflow.WithCancel(ctx)
		in := act.AwaitInput{Job: job, Until: until, FirstPoll: r.policy.FirstPoll, PollEvery: r.policy.PollEvery}
		f := workflow.ExecuteActivity(untilPoint(awaitOptions(actx, window)), connectorActs.AwaitResult, in)
		_ = workflow.Await(ctx, func() bool {
			_, ok := r.results[job.ID]
			return ok || f.IsReady()
		})
		if _, ok := r.results[job.ID]; ok && !f.IsReady() {
			// The callback came first: its result is the job's, the polls stop.
			cancel()
			return r.fromCallback(out, job.ID), false, nil
		}
		cancel()
		var got act.JobOutcome
		err := f.Get(ctx, &got)
		switch {
		case err == nil:
			out = got
		case ctx.Err() != nil || refused(err):
			return out, false, err
		}
		// A non-final result or a timeout: the point came, unless an extension moved it.
	}
	return out, false, nil
}

// refused reports whether a job's activity failed because the connector refused the job for good (or
// is no longer configured), rather than because its retries or polls ran to the escalation point.
func refused(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && (appErr.Type() == act.ErrPermanentConnector || appErr.NonRetryable())
}

// fromCallback fills an outcome from the result a callback delivered.
func (r *jobRunner) fromCallback(out act.JobOutcome, jobID string) act.JobOutcome {
	res := r.results[jobID]
	out.Status, out.Detail, out.Exemptions, out.Counts, out.Datasets = res.Status, res.Detail, res.Exemptions, res.Counts, res.Datasets
	out.Items = res.Items
	out.Recorded = false
	return out
}

// awaitPerson waits for a person's resolution of an escalated job, or for a late callback (false). The
// wait is a safe point to continue as new.
func (r *jobRunner) awaitPerson(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job) (ResolveJobInput, bool) {
	jobID := job.ID
	e := r.escalated(jobID)
	if e == nil || e.conflict {
		e = &escalation{jobID: jobID}
		r.escalations = append(r.escalations, e)
	}
	defer func() {
		r.escalations = slices.DeleteFunc(r.escalations, func(x *escalation) bool { return x == e })
	}()
	waits := func() bool {
		_, answered := r.results[jobID]
		return e.resolved == nil && !answered
	}
	unpark := r.park(CarriedJob{Ref: ref, Job: job, Wait: waitPerson}, waits)
	_ = workflow.Await(ctx, func() bool { return !waits() })
	unpark()
	if e.resolved == nil {
		if _, answered := r.results[jobID]; answered {
			return ResolveJobInput{}, false
		}
		return ResolveJobInput{}, true
	}
	return *e.resolved, true
}

func (r *jobRunner) escalated(jobID string) *escalation {
	for _, e := range r.escalations {
		if e.jobID == jobID {
			return e
		}
	}
	return nil
}

// resolverRoles may resolve an escalated job.
var resolverRoles = map[string]bool{dsrflow.RoleAgent: true, dsrflow.RoleDPO: true, dsrflow.RoleAdmin: true}

func (r *request) validateResolveJob(in ResolveJobInput) error {
	e := r.escalated(in.JobID)
	switch {
	case e == nil || e.resolved != nil:
		return refuse("job %s is not waiting for a person", in.JobID)
	case !resolverRoles[in.Actor.Role]:
		return rejectf(dsrflow.EFORBIDDEN, "role %q may not resolve a job; agent, dpo or admin may", in.Actor.Role)
	case e.conflict && in.Action != ResolveConfirm && in.Action != ResolveDrop:
		return rejectf(dsrflow.EINVALID, "job %s ended identity_conflict: its resolution is confirm (with a reason) or drop", in.JobID)
	case e.conflict && in.Action == ResolveConfirm && strings.TrimSpace(in.Reason) == "":
		return rejectf(dsrflow.EINVALID, "confirm needs a reason: how the subject confirmed the identifiers are theirs")
	case e.conflict:
		return nil
	case in.Action != ResolveRetry && in.Action != ResolveFailed && in.Action != ResolveDone && in.Action != ResolveNotFound:
		return rejectf(dsrflow.EINVALID, "an escalated job's resolution is retry, failed, done or not_found")
	case in.Action == ResolveFailed && strings.TrimSpace(in.Reason) == "":
		return rejectf(dsrflow.EINVALID, "failed needs a reason, which the subject is told")
	}
	return nil
}

func (r *request) onResolveJob(ctx workflow.Context, in ResolveJobInput) (State, error) {
	e := r.escalated(in.JobID)
	if e == nil || e.resolved != nil {
		return r.state(), refuse("job %s is not waiting for a person", in.JobID)
	}
	e.resolved = &in
	r.audit(ctx, "job_resolved", map[string]string{"job": in.JobID, "resolution": in.Action}, in.Actor.ID, strings.TrimSpace(in.Reason))
	return r.state(), nil
}

// untilPoint makes an activity's retries end at its schedule-to-close time (the escalation point) only,
// never at a count of attempts. Zero means unlimited to the server but ten to the SDK's test
// environment, so the bound is explicit.
func untilPoint(ctx workflow.Context) workflow.Context {
	opts := workflow.GetActivityOptions(ctx)
	policy := *opts.RetryPolicy
	policy.MaximumAttempts = math.MaxInt32
	opts.RetryPolicy = &policy
	return workflow.WithActivityOptions(ctx, opts)
}

// awaitOptions runs an accepted job's await activity until its escalation point: it polls the
// connector itself and heartbeats, so a killed worker is noticed in seconds and the next attempt
// resumes where the polls were.
func awaitOptions(ctx workflow.Context, window time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A little past the point, so the activity's own answer (not finished) normally comes first.
		ScheduleToCloseTimeout: window + time.Minute,
		StartToCloseTimeout:    window + time.Minute,
		HeartbeatTimeout:       jobHeartbeatTimeout,
		WaitForCancellation:    false,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        10 * time.Minute,
			NonRetryableErrorTypes: []string{act.ErrPermanentConnector},
		},
	})
}
