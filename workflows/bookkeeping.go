package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
)

// A workflow's bookkeeping in the store: audit events and job outcomes, written by local activities
// that are retried while the store is down. The request's status moves (transition, step, flush) are
// its own (request.go); they hold and write through the same runner.

func (r *jobRunner) audit(ctx workflow.Context, action string, detail map[string]string, actor, reason string) {
	e := r.event(ctx, action, detail, actor, reason)
	if r.hold && r.held != nil {
		r.held.Earlier = append(r.held.Earlier, r.held.Event)
		r.held.Event = e
		return
	}
	r.mustLocal(ctx, storeActs.AppendAudit, e)
}

func (r *jobRunner) event(ctx workflow.Context, action string, detail map[string]string, actor, reason string) dsrflow.AuditEvent {
	return dsrflow.AuditEvent{At: workflow.Now(ctx).UTC(), RequestID: r.id, Action: action, Actor: actor, Reason: reason, Detail: detail}
}

// recordJob stores a job's outcome unless the connector activity already did.
func (r *jobRunner) recordJob(ctx workflow.Context, out act.JobOutcome) {
	if out.Recorded || r.refused && ctx.Err() != nil { // a job the refusal stopped: recordStopped
		return
	}
	r.mustLocal(ctx, storeActs.RecordJob, out)
}

// mustLocal runs a bookkeeping local activity. The store being down stalls the request (retried without
// end) rather than losing an index row or an audit event: the store-outage drill found that a local
// activity's retries stop with its ScheduleToClose timeout, which defaults to one attempt's 30 s.
//
// From version 2 of the change a round is short (one workflow task, not ten minutes of local retries
// that heartbeat the task every few seconds) and the pause between rounds doubles up to an hour: a day
// of store outage costs a waiting request a few hundred history events, not thousands.
func (r *jobRunner) mustLocal(ctx workflow.Context, activity any, arg any) {
	opts, pause := localOptions(ctx), bookkeepingPause
	if r.bounded() {
		opts, pause = roundOptions(ctx), bookkeepingPauseFirst
	}
	for {
		err := workflow.ExecuteLocalActivity(opts, activity, arg).Get(ctx, nil)
		if err == nil || ctx.Err() != nil {
			return
		}
		// Histories recorded before this change went on without the write.
		v := workflow.GetVersion(ctx, "bookkeeping-retried-without-end", workflow.DefaultVersion, 2)
		if v == workflow.DefaultVersion {
			return
		}
		if workflow.Sleep(ctx, pause) != nil {
			return
		}
		if v >= 2 {
			// A round is one attempt: the pauses between rounds are the retries.
			opts, pause = roundOptions(ctx), min(2*pause, bookkeepingPauseMax)
		}
	}
}

// bookkeepingPause is the wait between rounds of a bookkeeping write's retries while the store is down.
// From version 2 of the change the first pause is bookkeepingPauseFirst (revision 2) or
// bookkeepingPause, doubling up to bookkeepingPauseMax.
const (
	bookkeepingPause      = time.Minute
	bookkeepingPauseFirst = 5 * time.Second
	bookkeepingPauseMax   = time.Hour
)

// roundOptions is one round of a bookkeeping write during a store outage: one attempt, well within a
// workflow task's timeout, so a round costs the history a marker and the pause's timer.
func roundOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 5 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}
