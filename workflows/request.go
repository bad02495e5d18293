package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// The activities' names as the worker registers them (package act): the same names the method values
// on nil *activities.X pointers used here before produced, so recorded histories replay unchanged.
var (
	storeActs      = act.Store
	verifyActs     = act.Verification
	connectorActs  = act.Connectors
	answerActs     = act.Answer
	reviewActs     = act.Review
	disclosureActs = act.Disclosure
)

// jobConcurrency bounds one request's connector jobs in flight. Revision 1 (RequestInput.Version) runs
// up to jobConcurrencyV1 at once, so that a group of a hundred connectors answers in one wave rather
// than seven; the worker's activity slots bound the calls across requests.
const (
	jobConcurrency   = 16
	jobConcurrencyV1 = 100
)

// Request carries one data-subject request from receipt to answer.
func Request(ctx workflow.Context, in RequestInput) (Outcome, error) {
	if in.Version > RequestVersion {
		// A newer worker's request: a panic fails the workflow task, not the workflow, and Temporal
		// retries the task until a worker that knows the revision runs it (a rolling deploy).
		panic(fmt.Sprintf("request revision %d is newer than this worker's revision %d", in.Version, RequestVersion))
	}
	r := &request{in: in, status: dsrflow.StatusReceived, jobRunner: newJobRunner(in.ID, in.Country, in.Link, in.Due, in.Version)}
	r.policy = policyOf(ctx, in)
	if in.Carried != nil {
		r.restore(in.Carried)
	}
	if err := r.registerHandlers(ctx); err != nil {
		return Outcome{}, err
	}
	if r.bounded() && in.Carried == nil {
		// A continued run keeps its memo: the SDK hands it to the next run.
		_ = workflow.UpsertMemo(ctx, map[string]any{MemoRevision: in.Version})
	}
	if r.bounded() {
		workflow.Go(ctx, r.watchHistory)
	}
	out, err := r.run(ctx)
	if !r.closed && errors.Is(ctx.Err(), workflow.ErrCanceled) {
		return r.canceledByOperator(ctx)
	}
	return out, err
}

// policyOf is the policy a request runs under: its own snapshot from revision 2 (given at start, or
// recorded once in its history), dsrflow's tables as they are before.
func policyOf(ctx workflow.Context, in RequestInput) RequestPolicy {
	if in.Version < 2 {
		return CurrentPolicy()
	}
	if in.Policy != nil {
		return *in.Policy
	}
	var p RequestPolicy
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return CurrentPolicy() }).Get(&p); err != nil {
		return CurrentPolicy()
	}
	return p
}

// canceledByOperator records the end of a request canceled in Temporal itself (the UI's Cancel button,
// `temporal workflow cancel`): the row closes as canceled with its audit event, and the subject is
// told, on a context the cancellation does not reach.
func (r *request) canceledByOperator(ctx workflow.Context) (Outcome, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if workflow.GetVersion(dctx, "operator-cancel-recorded", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return Outcome{}, temporal.NewCanceledError()
	}
	r.ending = true
	r.hold, r.held = false, nil
	const reason = "canceled by an operator of the request system"
	end := r.step(dctx, dsrflow.StatusCanceled, "request_canceled_by_operator", nil, "temporal", reason)
	in := act.RespondInput{
		RequestID: r.in.ID, Type: r.in.Type, Country: r.in.Country, Residence: r.in.Residence, Status: dsrflow.StatusCanceled, Reason: reason,
		To: r.in.Identity.Email, Received: r.in.ReceivedAt, Due: r.due, Corrections: r.in.Corrections, Purposes: r.in.Purposes,
		Outcomes: r.sortedOutcomes(), End: &end, Closed: workflow.Now(dctx),
	}
	if err := workflow.ExecuteActivity(activityOptions(dctx), answerActs.Respond, in).Get(dctx, nil); err != nil {
		r.mustLocal(dctx, storeActs.Transition, end)
	}
	r.status, r.closed = dsrflow.StatusCanceled, true
	_ = workflow.UpsertTypedSearchAttributes(dctx, AttrStatus.ValueSet(string(dsrflow.StatusCanceled)), AttrDueAt.ValueSet(r.due))
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	return Outcome{Status: dsrflow.StatusCanceled}, temporal.NewCanceledError()
}

type request struct {
	// jobRunner holds the request's connector jobs and bookkeeping (runner.go, bookkeeping.go): its id,
	// due date in force, policy, callback results, outcomes, tasks, escalations and held steps.
	jobRunner
	in       RequestInput
	status   dsrflow.Status
	extended bool
	// dueChanged wakes the deadline timers after an extension.
	dueChanged int
	verified   bool
	resends    int
	codeSeq    int
	decision   *DecisionInput
	canceled   *CancelInput
	refusal    *RefuseInput // also jobRunner.refused
	// refusedAfter is how many jobs had ended when the refusal came (refusal.go).
	refusedAfter int
	// stopJobs cancels the connector jobs' context (refusal.go).
	stopJobs workflow.CancelFunc
	// fulfilling is set once connector jobs may start; cancellation is refused from then on.
	fulfilling bool
	// ending is set once the final status is chosen: from then on every update is refused.
	ending bool
	closed bool
	// routed are the request's routed items (routed.go): customers controlling data the group holds
	// for them as a processor, named in the answer.
	routed []act.RoutedRef
}

// lean reports whether the request runs revision 1 or later (RequestInput.Version).
func (r *request) lean() bool { return r.in.Version >= 1 }

func (r *request) run(ctx workflow.Context) (Outcome, error) {
	if r.in.Carried != nil {
		return r.resume(ctx)
	}
	// The steps up to the first wait (the code mailed, the review card posted, the jobs started) are
	// written at once: for an attested request its receipt, identity and start of fulfilment.
	r.hold = r.lean()
	r.transition(ctx, dsrflow.StatusReceived, "request_received", map[string]string{"verification": string(r.in.Verification), "channel": r.in.Channel}, r.in.Actor, "")
	r.flagRepeat(ctx)
	r.acknowledge(ctx)
	workflow.Go(ctx, r.trackDeadline)

	if !r.verify(ctx) {
		return r.end(ctx)
	}
	if r.needsReview(ctx) && !r.review(ctx) {
		return r.end(ctx)
	}
	return r.fulfil(ctx)
}

// fulfil carries out a verified (and, where needed, reviewed) request: its jobs, then the partners'
// notices, then the answer. A run resumed during the jobs (continue-as-new) goes on at afterJobs.
func (r *request) fulfil(ctx workflow.Context) (Outcome, error) {
	if r.stopped() {
		return r.finish(ctx)
	}
	r.fulfilling = true
	r.transition(ctx, dsrflow.StatusFulfilling, "fulfilment_started", nil, "system", "")
	r.flush(ctx)
	jobs := r.jobsContext(ctx)
	var routing workflow.Future
	if workflow.GetVersion(ctx, versionRouting, workflow.DefaultVersion, 1) == 1 {
		// Beside the group's own fan-out: the answer waits for the routed items, not their customers.
		f, done := workflow.NewFuture(ctx)
		routing = f
		workflow.Go(jobs, func(ctx workflow.Context) {
			r.route(ctx)
			done.Set(nil, nil)
		})
	}
	r.fanOut(jobs, r.in.Type.Action(), false)
	if routing != nil {
		_ = routing.Get(ctx, nil)
	}
	return r.afterJobs(ctx, jobs, phaseFulfilling)
}

// afterJobs ends a request whose jobs of phase (the action's, or the partners' notices) have ended or
// are waiting to continue as new: the next run, or the partners' notices, the suppression list and the
// answer. A refused request notifies no partner and suppresses no address.
func (r *request) afterJobs(ctx, jobs workflow.Context, phase string) (Outcome, error) {
	if r.cont.continuing {
		return r.continueAsNew(ctx)
	}
	if phase == phaseFulfilling && r.in.Type.NotifiesPartners() && r.refusal == nil {
		r.notifyRecipients(jobs)
		if r.cont.continuing {
			return r.continueAsNew(ctx)
		}
	}
	if r.refusal == nil {
		r.suppress(ctx)
	}
	r.recordStopped(ctx)
	r.closeTasks(ctx)
	return r.finish(ctx)
}

// verify confirms the subject's identity in proportion to the request. It returns false when the
// request ended instead (lapsed or canceled).
func (r *request) verify(ctx workflow.Context) bool {
	switch r.in.Verification {
	case dsrflow.VerifyNone:
		r.verified = true
		r.audit(ctx, "verification_not_required", nil, "system", "")
		return true
	case dsrflow.VerifyAgentAttested:
		r.verified = true
		r.audit(ctx, "identity_attested", nil, r.in.Actor, r.in.AttestReason)
		return true
	case dsrflow.VerifyEID:
		return r.awaitEID(ctx)
	}
	r.transition(ctx, dsrflow.StatusVerifying, "verification_started", nil, "system", "")
	r.flush(ctx)
	r.issueCode(ctx, "code")
	return r.awaitCode(ctx)
}

// awaitCode waits for the subject's code, with the policy's reminders, until the request lapses. It
// returns false when the request ended instead, or stopped to continue as new (cont.continuing). The
// code window starts when the request was entered (codeWindowStart), never earlier.
func (r *request) awaitCode(ctx workflow.Context) bool {
	r.cont.phase = phaseVerifying
	done := func() bool { return r.verified || r.stopped() }
	start := r.codeWindowStart(ctx)
	for r.cont.codeReminders < len(r.policy.CodeReminders) {
		if r.awaitOrContinue(ctx, start.Add(r.policy.CodeReminders[r.cont.codeReminders]), done) {
			return r.verified
		}
		if r.cont.continuing {
			return false
		}
		r.issueCode(ctx, "reminder")
		r.audit(ctx, "verification_reminder", nil, "system", "")
		r.cont.codeReminders++
	}
	if r.awaitOrContinue(ctx, start.Add(r.policy.LapseAfter), done) {
		return r.verified
	}
	if r.cont.continuing {
		return false
	}
	r.status = dsrflow.StatusLapsed
	return false
}

// review waits for a reviewer's decision on an objection: uphold (approve) lets the object jobs run,
// decline (reject) ends the request with the reviewer's grounds.
func (r *request) review(ctx workflow.Context) bool {
	r.transition(ctx, dsrflow.StatusInReview, "review_requested", nil, "system", "")
	r.flush(ctx)
	if r.notifies(ctx) {
		r.cont.reviewCard = r.postObjectionCard(ctx)
	}
	return r.awaitReview(ctx)
}

// awaitReview waits for the reviewer's decision (false: rejected, canceled, refused, or stopped to
// continue as new) and shows it on the card.
func (r *request) awaitReview(ctx workflow.Context) bool {
	r.cont.phase = phaseReview
	if !r.awaitOrContinue(ctx, time.Time{}, func() bool { return r.decision != nil || r.stopped() }) && r.cont.continuing {
		return false
	}
	if r.notifies(ctx) {
		r.updateObjectionCard(ctx, r.cont.reviewCard)
	}
	if r.stopped() || r.decision == nil {
		// No decision: the request was refused, or canceled (in Temporal: canceledByOperator records it).
		return false
	}
	if r.decision.Decision == DecisionReject {
		r.status = dsrflow.StatusRejected
		return false
	}
	return true
}

// fanOut runs the action's jobs on every matching connector in parallel. One connector's failure never
// loses another's result: each job ends as an outcome, failed ones escalated.
func (r *request) fanOut(ctx workflow.Context, action dsrflow.Action, partners bool) {
	r.fanOutTo(ctx, act.SelectInput{Action: action, Identity: r.in.Identity, Partners: partners})
}

// fanOutTo runs sel.Action's jobs on the connectors sel selects.
func (r *request) fanOutTo(ctx workflow.Context, sel act.SelectInput) {
	action := sel.Action
	// Selection reads configuration only, so it runs as a local activity.
	var refs []act.ConnectorRef
	if err := workflow.ExecuteLocalActivity(localOptions(ctx), connectorActs.Select, sel).Get(ctx, &refs); err != nil {
		r.audit(ctx, "connector_selection_failed", nil, "system", "")
		return
	}
	if len(refs) == 0 {
		return
	}
	r.cont.phase = phaseFulfilling
	if sel.Partners {
		r.cont.phase = phasePartners
	}
	limit := jobConcurrency
	if r.lean() {
		limit = jobConcurrencyV1
	}
	sem := workflow.NewSemaphore(ctx, int64(limit))
	wg := workflow.NewWaitGroup(ctx)
	for _, ref := range refs {
		wg.Add(1)
		r.pending++
		r.cont.active++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			defer func() { r.cont.active-- }()
			if err := sem.Acquire(ctx, 1); err != nil {
				return
			}
			defer sem.Release(1)
			out := r.runJob(ctx, ref, action)
			r.outcomes = append(r.outcomes, out)
			r.pending--
			r.recordJob(ctx, out)
		})
	}
	if !r.awaitJobs(ctx) {
		return
	}
	wg.Wait(ctx)
}

// runJob submits one job and, when the connector accepted it for later, waits for the callback or polls.
// Retries stop at a margin before the due date in force; then the job fails and escalates.
func (r *request) runJob(ctx workflow.Context, ref act.ConnectorRef, action dsrflow.Action) act.JobOutcome {
	return r.runResolvingConflicts(ctx, ref, r.job(ref, action))
}

func (r *request) job(ref act.ConnectorRef, action dsrflow.Action) connectors.Job {
	j := connectors.Job{
		Protocol:   connectors.ProtocolVersion,
		ID:         connectors.JobID(r.in.ID, ref.ID, action),
		RequestID:  r.in.ID,
		Connector:  ref.ID,
		Action:     action,
		Identities: r.in.Identity,
		Verified:   r.verifiedTypes(),
		Portable:   r.in.Type.Right().Portable,
		Deadline:   r.due,
	}
	switch action {
	case dsrflow.ActionRectify:
		j.Corrections = r.in.Corrections
	case dsrflow.ActionWithdrawConsent:
		j.Purposes = r.in.Purposes
	case dsrflow.ActionObject:
		j.Grounds = r.in.Grounds
		j.Purposes = r.in.Purposes
	case dsrflow.ActionNotify:
		j.Cause = r.in.Type
		j.Corrections = r.in.Corrections
	}
	return j
}

// finish answers the subject and closes the request with its final status.
func (r *request) finish(ctx workflow.Context) (Outcome, error) {
	r.ending = true
	r.flush(ctx)
	final, reason := r.finalStatus()
	outcomes := r.answeredOutcomes()
	in := act.RespondInput{
		RequestID: r.in.ID, Type: r.in.Type, Country: r.in.Country, Residence: r.in.Residence, Status: final, Reason: reason, Ground: r.refusalGround(),
		To: r.in.Identity.Email, Received: r.in.ReceivedAt, Due: r.due,
		Corrections: r.in.Corrections, Purposes: r.in.Purposes, Outcomes: outcomes, RestrictionGround: r.in.RestrictionGround,
		Routed: r.routed,
	}
	if r.lean() {
		// Respond records the move to responding and the final status itself.
		if final == dsrflow.StatusCompleted {
			begin := r.step(ctx, dsrflow.StatusResponding, "responding", nil, "system", "")
			in.Begin = &begin
		}
		end := r.step(ctx, final, "request_"+string(final), nil, r.closer(final), reason)
		in.End = &end
	} else if final == dsrflow.StatusCompleted {
		r.transition(ctx, dsrflow.StatusResponding, "responding", nil, "system", "")
	}
	in.Closed = workflow.Now(ctx)
	if err := workflow.ExecuteActivity(activityOptions(ctx), answerActs.Respond, in).Get(ctx, nil); err != nil {
		// The answer is owed: keep the request open and visible rather than closing it unanswered.
		r.audit(ctx, "answer_failed", nil, "system", "")
		return Outcome{}, err
	}
	r.closed = true
	if r.lean() {
		r.status = final
		_ = workflow.UpsertTypedSearchAttributes(ctx, AttrStatus.ValueSet(string(final)), AttrDueAt.ValueSet(r.due))
	} else {
		r.transition(ctx, final, "request_"+string(final), nil, r.closer(final), reason)
	}
	// Let in-flight update handlers return before the workflow completes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	jobs := map[string]connectors.Status{}
	for _, o := range outcomes {
		jobs[o.JobID] = o.Status
	}
	return Outcome{Status: final, Jobs: jobs}, nil
}

func (r *request) finalStatus() (dsrflow.Status, string) {
	switch {
	case r.refusal != nil:
		return dsrflow.StatusRejected, r.refusal.Reason
	case r.canceled != nil:
		return dsrflow.StatusCanceled, r.canceled.Reason
	case r.status == dsrflow.StatusLapsed:
		return dsrflow.StatusLapsed, "identity not verified within 14 days"
	case r.status == dsrflow.StatusRejected:
		return dsrflow.StatusRejected, r.decision.Reason
	}
	return dsrflow.StatusCompleted, ""
}

func (r *request) closer(final dsrflow.Status) string {
	switch final {
	case dsrflow.StatusCanceled:
		return r.canceled.Actor.ID
	case dsrflow.StatusRejected:
		if r.refusal != nil {
			return r.refusal.Actor.ID
		}
		return r.decision.Actor.ID
	}
	return "system"
}

// trackDeadline runs beside the request: reminders before the due date, an escalation every day after
// it, all audited, until the request closes. An extension restarts it on the new date.
func (r *request) trackDeadline(ctx workflow.Context) {
	for !r.closed && ctx.Err() == nil {
		seen := r.dueChanged
		next, action, detail := r.nextDeadlineEvent(workflow.Now(ctx))
		if carried := r.cont.deadlineCarried; !carried.IsZero() {
			// The event the previous run waited for comes first, even when its time has passed.
			r.cont.deadlineCarried = time.Time{}
			if carried.Before(next) {
				next, action, detail = r.nextDeadlineEvent(carried.Add(-time.Nanosecond))
			}
		}
		r.cont.deadlineParked, r.cont.deadlineNext, r.cont.deadlineSeen = true, next, seen
		woke := r.awaitUntil(ctx, next, func() bool { return r.closed || r.dueChanged != seen })
		r.cont.deadlineParked = false
		if woke {
			continue
		}
		r.audit(ctx, action, detail, "system", "")
		if r.notifies(ctx) {
			r.deadlineAlert(ctx, action, detail)
		}
	}
}

func (r *request) nextDeadlineEvent(now time.Time) (time.Time, string, map[string]string) {
	for _, before := range r.policy.RemindBefore {
		if at := r.due.Add(-before); at.After(now) {
			return at, "deadline_reminder", map[string]string{"days_left": fmt.Sprint(int(before.Hours() / 24))}
		}
	}
	if r.bounded() {
		return r.nextOverdue(now)
	}
	every := dsrflow.DeadlinePolicy.OverdueEvery
	n := int64(1)
	if now.After(r.due) {
		n = int64(now.Sub(r.due)/every) + 1
	}
	return r.due.Add(time.Duration(n) * every), "overdue_escalation", map[string]string{"days_overdue": fmt.Sprint(n)}
}

// nextOverdue is the next overdue escalation of revision 2: one a day for OverdueDaily days after the
// due date, then one a week, so an abandoned request costs its history a few events a week.
func (r *request) nextOverdue(now time.Time) (time.Time, string, map[string]string) {
	const day = 24 * time.Hour
	daily := r.due.Add(time.Duration(r.policy.OverdueDaily) * day)
	var at time.Time
	if now.Before(daily) {
		n := int64(1)
		if now.After(r.due) {
			n = int64(now.Sub(r.due)/day) + 1
		}
		at = r.due.Add(time.Duration(n) * day)
	} else {
		weekly := max(r.policy.OverdueWeekly, day)
		at = daily.Add(time.Duration(int64(now.Sub(daily)/weekly)+1) * weekly)
	}
	return at, "overdue_escalation", map[string]string{"days_overdue": fmt.Sprint(int64(at.Sub(r.due) / day))}
}

func (r *request) issueCode(ctx workflow.Context, kind string) {
	if r.in.Verification == dsrflow.VerifyEID {
		// An eID request is mailed its status link (to verify there), never a code (eid.go).
		kind = act.EIDMailPrefix + kind
	}
	r.codeSeq++
	in := act.IssueCodeInput{RequestID: r.in.ID, To: r.in.Identity.Email, Kind: kind, Seq: r.codeSeq}
	if err := workflow.ExecuteActivity(activityOptions(ctx), verifyActs.IssueCode, in).Get(ctx, nil); err != nil {
		r.audit(ctx, "verification_mail_failed", nil, "system", "")
	}
}

// transition moves the request to a status: search attribute, index row and audit event.
func (r *request) transition(ctx workflow.Context, status dsrflow.Status, action string, detail map[string]string, actor, reason string) {
	r.status = status
	t := r.step(ctx, status, action, detail, actor, reason)
	if r.hold {
		if r.held != nil {
			t.Earlier = append(r.held.Earlier, r.held.Event)
		}
		r.held = &t
		return
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrStatus.ValueSet(string(status)), AttrDueAt.ValueSet(r.due))
	r.mustLocal(ctx, storeActs.Transition, t)
}

// step is the bookkeeping of a move to status: the index row and the audit event.
func (r *request) step(ctx workflow.Context, status dsrflow.Status, action string, detail map[string]string, actor, reason string) act.Transition {
	now := workflow.Now(ctx).UTC()
	row := dsrflow.Request{
		ID: r.in.ID, Type: r.in.Type, Status: status, Country: r.in.Country, Jurisdiction: r.in.Jurisdiction,
		ReceivedAt: r.in.ReceivedAt, DueAt: r.due, UpdatedAt: now, SubjectKey: r.in.SubjectKey,
	}
	// due_at is the due date in force, which lists and overdue queries use.
	if r.extended {
		row.ExtendedDueAt = &r.due
	}
	if status.Closed() {
		row.ClosedAt = &now
	}
	return act.Transition{Request: row, Event: r.event(ctx, action, detail, actor, reason)}
}

// flush ends the hold: the held steps go out as one write, the last step's row and every event in
// order, and the status search attribute once.
func (r *request) flush(ctx workflow.Context) {
	if !r.hold {
		return
	}
	r.hold = false
	if r.held == nil {
		return
	}
	t := *r.held
	r.held = nil
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrStatus.ValueSet(string(r.status)), AttrDueAt.ValueSet(r.due))
	r.mustLocal(ctx, storeActs.Transition, t)
}

func localOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

func activityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}

// jobHeartbeatTimeout is how long a connector call may go without a heartbeat before it is retried.
const jobHeartbeatTimeout = 20 * time.Second

// jobOptions retries a connector call with backoff for at most window; permanent errors (4xx) stop at once.
func jobOptions(ctx workflow.Context, window time.Duration) workflow.Context {
	if window < time.Minute {
		window = time.Minute
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		// The connector activity heartbeats while it waits for the connector, so a worker killed mid-call
		// is noticed in seconds, not at the end of the 2 minutes (the kill -9 drill).
		HeartbeatTimeout:       jobHeartbeatTimeout,
		ScheduleToCloseTimeout: window,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Hour,
			NonRetryableErrorTypes: []string{act.ErrPermanentConnector},
		},
	})
}

// jobFailure turns a job's activity error into a detail safe for agents and the answer.
func jobFailure(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == act.ErrPermanentConnector {
		return "the connector refused the job: " + appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "the connector did not answer before the margin to the due date"
	}
	return "the connector failed"
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
