package workflows

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// UpdateRefuse is a reviewer's or the DPO's refusal of the request (GDPR Art. 12(5), 12(2) with 11(2)):
// at any stage before the answer, it stops the request, cancels its running jobs and answers the
// subject with the ground, the reasons, the supervisory authority and the judicial remedy.
const UpdateRefuse = "refuse"

// RefuseInput is UpdateRefuse's argument.
type RefuseInput struct {
	Actor  Actor
	Ground string // a dsrflow.RefusalGround
	Reason string
}

// refusalChange is the workflow.GetVersion change id of refusals: recorded when a refusal is taken, so
// a history that holds one is never replayed by code that cannot take it.
const refusalChange = "refusal-update"

func (r *request) registerRefusal(ctx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateRefuse, r.onRefuse, workflow.UpdateHandlerOptions{Validator: r.validateRefuse})
}

func (r *request) validateRefuse(in RefuseInput) error {
	switch {
	case r.ending || r.closed:
		return refuse("request is %s: its answer is being sent or was sent, so it can no longer be refused", r.status)
	case r.refusal != nil:
		return refuse("request is already refused")
	case r.canceled != nil:
		return refuse("request is being canceled")
	case !reviewerRoles[in.Actor.Role]:
		return rejectf(dsrflow.EFORBIDDEN, "role %q may not refuse a request; reviewer, dpo or admin may", in.Actor.Role)
	case !dsrflow.RefusalGround(in.Ground).Valid():
		return rejectf(dsrflow.EINVALID, "ground must be one of %s", dsrflow.RefusalGroundList())
	case strings.TrimSpace(in.Reason) == "":
		return rejectf(dsrflow.EINVALID, "a refusal needs a reason, which the subject is told")
	}
	return nil
}

// onRefuse takes the refusal and answers once the request is closed, so the caller's answer says
// rejected.
func (r *request) onRefuse(ctx workflow.Context, in RefuseInput) (State, error) {
	_ = workflow.GetVersion(ctx, refusalChange, workflow.DefaultVersion, 1)
	if r.ending || r.refusal != nil || r.canceled != nil { // a second update raced past the validator
		return r.state(), refuse("request is %s: it can no longer be refused", r.status)
	}
	in.Reason = strings.TrimSpace(in.Reason)
	r.refusal = &in
	r.refused = true
	r.refusedAfter = len(r.outcomes)
	r.audit(ctx, "request_refused", map[string]string{"ground": in.Ground, "status": string(r.status)}, in.Actor.ID, in.Reason)
	if r.stopJobs != nil {
		r.stopJobs()
	}
	_ = workflow.Await(ctx, func() bool { return r.closed })
	return r.state(), nil
}

// recordStopped records the jobs that ended after the refusal: their own goroutines could not (the
// refusal canceled their context), and a job row left accepted or running would say it still is. One the
// refusal stopped is recorded failed with that reason; one that finished at the same moment as it did.
func (r *request) recordStopped(ctx workflow.Context) {
	if r.refusal == nil {
		return
	}
	for _, o := range r.outcomes[min(r.refusedAfter, len(r.outcomes)):] {
		if o.Status == connectors.StatusFailed {
			o.Detail = "stopped: the request was refused"
		}
		r.recordJob(ctx, o)
	}
}

// refusalClosesTasksChange is the workflow.GetVersion change id of closing a refused request's open
// manual tasks (closeTasks).
const refusalClosesTasksChange = "h15b-refusal-closes-tasks"

// closeTasks closes the manual tasks of a refused request that no team answered: each shows closed with
// the reason (the console, its card in the team's channel) and is audited, so no one goes on working on
// a request that will not be carried out.
func (r *request) closeTasks(ctx workflow.Context) {
	if r.refusal == nil || !slices.ContainsFunc(r.tasks, func(t *task) bool { return t.view.Kind == TaskManual && t.view.Status == TaskOpen }) {
		return
	}
	if workflow.GetVersion(ctx, refusalClosesTasksChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	now := workflow.Now(ctx).UTC()
	reason := "the request was refused (" + strings.ReplaceAll(r.refusal.Ground, "_", " ") + ")"
	for _, t := range r.tasks {
		if t.view.Kind != TaskManual || t.view.Status != TaskOpen {
			continue
		}
		t.view.Status, t.view.By, t.view.Reason, t.view.Answered = TaskClosed, r.refusal.Actor.ID, reason, &now
		detail := map[string]string{"connector": t.view.Connector, "action": string(t.view.Action), "task": t.view.ID}
		r.audit(ctx, "task_closed", detail, r.refusal.Actor.ID, reason)
		if t.ref != (dsrflow.CardRef{}) {
			up := act.UpdateCardInput{RequestID: r.id, Ref: t.ref, Card: r.taskCard(t)}
			if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.UpdateCard, up).Get(ctx, nil); err != nil {
				r.audit(ctx, "card_update_failed", detail, "system", "")
			}
		}
	}
}

// stopped reports whether the request is to end without being carried out: canceled or refused.
func (r *request) stopped() bool { return r.canceled != nil || r.refusal != nil }

// jobsContext is the context the request's connector jobs run in: a refusal cancels it, so running jobs
// stop and waiting ones never start.
func (r *request) jobsContext(ctx workflow.Context) workflow.Context {
	jobs, cancel := workflow.WithCancel(ctx)
	r.stopJobs = cancel
	return jobs
}

// answeredOutcomes are the outcomes the answer reports: for a refused request, only the jobs that ended
// before the refusal (a job the refusal stopped was not carried out, and is not reported as failed).
func (r *request) answeredOutcomes() []act.JobOutcome {
	out := r.sortedOutcomes()
	if r.refusal == nil {
		return out
	}
	kept := out[:0]
	for _, o := range out {
		if o.Status != connectors.StatusFailed {
			kept = append(kept, o)
		}
	}
	return kept
}

// flagRepeat records, at receipt, that the request repeats an earlier completed one of the subject and
// type within the repeat window, for a reviewer to weigh (Art. 12(5): "in particular because of their
// repetitive character"). It never refuses.
func (r *request) flagRepeat(ctx workflow.Context) {
	if r.in.RepeatOf == "" {
		return
	}
	r.audit(ctx, "repeat_request_flagged", map[string]string{"earlier": r.in.RepeatOf}, "system", "")
}

// refusalGround is the refusal's ground for the answer, "" when the request was not refused.
func (r *request) refusalGround() string {
	if r.refusal == nil {
		return ""
	}
	return r.refusal.Ground
}
