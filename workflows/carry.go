package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// Continue-as-new (issue 13, bounded histories): a request of revision 2 that waits a long time — for
// its code, a reviewer, an escalated job, a manual task or an identity conflict a person must answer —
// hands its state to a new run of itself once the server suggests it (GetContinueAsNewSuggested) or
// its history holds ContinueAsNewAfterEvents events. It does so only at a safe point: the main story
// and every job of the fan-out wait for a person or a time, no activity, local activity or update
// handler runs (workflow.AllHandlersFinished), and the deadline tracker waits for a time still to
// come. Job results signalled but not yet read are read into the carried state. The new run starts
// from the carried state (RequestInput.Carried) at the same wait: nothing is mailed, run, posted or
// audited again. An update the run had not yet accepted is aborted by the server with a retryable
// error and reaches the new run (go.temporal.io/server, history/workflow/update/abort_reason.go);
// the new run restores its waiting jobs before it registers its handlers, so such an update finds
// them.
//
// Not safe, so never continued there: a job whose connector call or await activity runs (its attempt
// lives in the activity, whose result the new run would lose), a bookkeeping write retried through a
// store outage, the first steps before the first write (hold), the answer (finish), and revisions 0
// and 1, whose waits poll with timers and keep their recorded shape.

// versionContinueAsNew marks the runs that may continue as new. The marker is written only once a run's
// history is long, so short requests carry no extra event and recorded histories replay unchanged.
const versionContinueAsNew = "continue-as-new"

// ContinueAsNewAfterEvents is dsrflow's own bound on a run's history, used besides the server's
// suggestion (whose default comes at about 4,000 events, and not at all on some servers): a run this
// long continues as new at its next safe point. ContinueAsNewMinRunAge keeps a run from continuing in
// its first hour: a suggestion that a new run cannot cure (a large input) then costs a run an hour at
// most, not a loop of runs. A request snapshots both when it starts (RequestPolicy), so a change never
// alters how a running request replays. Variables so that end-to-end tests can lower them.
var (
	ContinueAsNewAfterEvents = defaultContinueAfterEvents
	ContinueAsNewMinRunAge   = defaultContinueMinRunAge
)

// The bounds of requests whose policy snapshot predates them. Never change these: running requests
// replay with them.
const (
	defaultContinueAfterEvents = 1500
	defaultContinueMinRunAge   = time.Hour
)

// carriedShape is the shape of RequestCarried this worker writes and reads. A worker refuses a newer
// shape (the workflow task fails until a worker that knows it runs it); an older one's missing fields
// read as their zero values.
const carriedShape = 1

// Phases of a request at a safe point: where its next run starts.
const (
	phaseVerifying  = "verifying"
	phaseReview     = "review"
	phaseFulfilling = "fulfilling"
	phasePartners   = "partners"
)

// Waits of a job at a safe point (CarriedJob.Wait).
const (
	waitPerson   = "person"   // escalated at its point, waiting for UpdateResolveJob or a late callback
	waitTask     = "task"     // a manual task waiting for its team
	waitConflict = "conflict" // an identity conflict waiting for an agent's confirm or drop
)

// RequestCarried is a request's state handed from one run to the next (continue-as-new). Like the
// input it is encrypted by the payload codec.
type RequestCarried struct {
	Shape int
	// Runs counts the runs before the one this starts.
	Runs  int
	Phase string
	// The request's own state.
	Status        dsrflow.Status
	Due           time.Time
	Extended      bool
	Verified      bool
	Resends       int
	CodeSeq       int
	CodeReminders int
	Decision      *DecisionInput `json:",omitempty"`
	Canceled      *CancelInput   `json:",omitempty"`
	ReviewCard    dsrflow.CardRef
	Results       map[string]connectors.Result `json:",omitempty"`
	Outcomes      []act.JobOutcome             `json:",omitempty"`
	Tasks         []CarriedTask                `json:",omitempty"`
	Jobs          []CarriedJob                 `json:",omitempty"`
	// DeadlineNext is the deadline reminder or overdue escalation the tracker waited for: the next
	// run sends it even when its time passed while the runs changed.
	DeadlineNext time.Time
	// Routed are the request's routed items (issue 22).
	Routed []act.RoutedRef `json:",omitempty"`
}

// CarriedTask is a task of the request (open or answered), as the tasks query shows it, with its card.
type CarriedTask struct {
	View TaskView
	Ref  dsrflow.CardRef
}

// CarriedJob is a job waiting for a person at the safe point; the next run waits for it again.
type CarriedJob struct {
	Ref  act.ConnectorRef
	Job  connectors.Job
	Wait string
	// A task's progress (waitTask): its id, reminders sent, whether it was escalated, and the wait
	// under way: until Next (zero: until answered), then an escalation or a reminder.
	TaskID     string `json:",omitempty"`
	Reminders  int    `json:",omitempty"`
	Escalated  bool   `json:",omitempty"`
	Next       time.Time
	Escalation bool `json:",omitempty"`
	// Conflicted is the outcome that ended identity_conflict (waitConflict), already recorded.
	Conflicted *act.JobOutcome `json:",omitempty"`
}

// continuation is a run's bookkeeping for continue-as-new.
type continuation struct {
	// allowed: the history is long and the run recorded versionContinueAsNew; the waits of the main
	// story then end at the next safe point. continuing: the main story stopped there.
	allowed, continuing bool
	phase               string
	runs                int
	codeReminders       int
	reviewCard          dsrflow.CardRef
	// active counts the fan-out's job goroutines not yet ended; parked are those waiting for a person.
	active int
	parked []*parkedJob
	// The deadline tracker waits until deadlineNext unless the due date changes (deadlineSeen);
	// deadlineCarried is the previous run's deadlineNext.
	deadlineParked  bool
	deadlineNext    time.Time
	deadlineSeen    int
	deadlineCarried time.Time
}

// parkedJob is a job goroutine waiting at a safe point: still reports that its wait goes on.
type parkedJob struct {
	carried CarriedJob
	still   func() bool
}

// park records a job goroutine's wait for a person; the returned func ends it.
func (r *jobRunner) park(j CarriedJob, still func() bool) func() {
	p := &parkedJob{carried: j, still: still}
	r.cont.parked = append(r.cont.parked, p)
	return func() {
		r.cont.parked = slices.DeleteFunc(r.cont.parked, func(x *parkedJob) bool { return x == p })
	}
}

// watchHistory allows the run to continue as new once its history is long (revision 2).
func (r *request) watchHistory(ctx workflow.Context) {
	after, age := r.policy.ContinueAfterEvents, r.policy.ContinueMinRunAge
	if after == 0 {
		after, age = defaultContinueAfterEvents, defaultContinueMinRunAge
	}
	long := func() bool {
		info := workflow.GetInfo(ctx)
		if workflow.Now(ctx).Sub(info.WorkflowStartTime) < age {
			return false
		}
		return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= after
	}
	if err := workflow.Await(ctx, func() bool { return r.ending || long() }); err != nil || r.ending {
		return
	}
	r.cont.allowed = workflow.GetVersion(ctx, versionContinueAsNew, workflow.DefaultVersion, 1) == 1
}

// continueNow reports a safe point of an allowed run: nothing runs that the next run would lose.
func (r *request) continueNow(ctx workflow.Context) bool {
	// A refused request ends in this run (the refusal is not carried): its jobs are being stopped.
	if !r.cont.allowed || r.ending || r.hold || r.refusal != nil || ctx.Err() != nil || !workflow.AllHandlersFinished(ctx) {
		return false
	}
	now := workflow.Now(ctx)
	if !r.cont.deadlineParked || r.dueChanged != r.cont.deadlineSeen || !now.Before(r.cont.deadlineNext) {
		return false
	}
	if r.cont.active != len(r.cont.parked) {
		return false
	}
	for _, p := range r.cont.parked {
		if !p.still() {
			return false
		}
	}
	return true
}

// awaitOrContinue is awaitUntil at a wait of the main story (at zero: no time limit). It returns false
// with cont.continuing set when the run stops there to continue as new.
func (r *request) awaitOrContinue(ctx workflow.Context, at time.Time, cond func() bool) bool {
	wake := func() bool { return cond() || r.continueNow(ctx) }
	if at.IsZero() {
		_ = workflow.Await(ctx, wake)
	} else {
		d := at.Sub(workflow.Now(ctx))
		if d <= 0 {
			return cond()
		}
		if ok, _ := workflow.AwaitWithTimeout(ctx, d, wake); !ok {
			return false
		}
	}
	if cond() {
		return true
	}
	r.cont.continuing = r.continueNow(ctx)
	return false
}

// awaitJobs waits for the fan-out's jobs to end, or for a safe point to continue as new (false).
func (r *request) awaitJobs(ctx workflow.Context) bool {
	if !r.bounded() {
		return true
	}
	_ = workflow.Await(ctx, func() bool { return r.cont.active == 0 || r.continueNow(ctx) })
	if r.cont.active == 0 {
		return true
	}
	r.cont.continuing = r.continueNow(ctx)
	return !r.cont.continuing
}

// continueAsNew ends this run with the request's state carried into the next. Job results signalled
// but not yet read are read first, so none is lost.
func (r *request) continueAsNew(ctx workflow.Context) (Outcome, error) {
	ch := workflow.GetSignalChannel(ctx, SignalJobResult)
	var res JobResult
	for ch.ReceiveAsync(&res) {
		if _, seen := r.results[res.JobID]; !seen && res.Result.Status.Final() {
			r.results[res.JobID] = res.Result
		}
	}
	in := r.in
	policy := r.policy
	in.Policy = &policy
	in.Carried = r.carried()
	return Outcome{}, workflow.NewContinueAsNewError(ctx, Request, in)
}

func (r *request) carried() *RequestCarried {
	c := &RequestCarried{
		Shape: carriedShape, Runs: r.cont.runs + 1, Phase: r.cont.phase,
		Status: r.status, Due: r.due, Extended: r.extended, Verified: r.verified,
		Resends: r.resends, CodeSeq: r.codeSeq, CodeReminders: r.cont.codeReminders,
		Decision: r.decision, Canceled: r.canceled, ReviewCard: r.cont.reviewCard,
		Results: r.results, Outcomes: r.outcomes, DeadlineNext: r.cont.deadlineNext, Routed: r.routed,
	}
	for _, t := range r.tasks {
		c.Tasks = append(c.Tasks, CarriedTask{View: t.view, Ref: t.ref})
	}
	for _, p := range r.cont.parked {
		c.Jobs = append(c.Jobs, p.carried)
	}
	return c
}

// restore takes the state a previous run carried.
func (r *request) restore(c *RequestCarried) {
	if c.Shape > carriedShape {
		// As for a newer revision: the workflow task fails and is retried until a worker that knows
		// the shape runs it.
		panic(fmt.Sprintf("carried state of shape %d is newer than this worker's shape %d", c.Shape, carriedShape))
	}
	r.cont.phase, r.cont.runs = c.Phase, c.Runs
	r.status, r.due, r.extended, r.verified = c.Status, c.Due, c.Extended, c.Verified
	if r.due.IsZero() {
		r.due = r.in.Due
	}
	r.resends, r.codeSeq, r.cont.codeReminders = c.Resends, c.CodeSeq, c.CodeReminders
	r.decision, r.canceled, r.cont.reviewCard = c.Decision, c.Canceled, c.ReviewCard
	r.fulfilling = c.Phase == phaseFulfilling || c.Phase == phasePartners
	if c.Results != nil {
		r.results = c.Results
	}
	r.outcomes = c.Outcomes
	r.routed = c.Routed
	r.cont.deadlineCarried = c.DeadlineNext
	for _, t := range c.Tasks {
		r.tasks = append(r.tasks, &task{view: t.View, ref: t.Ref})
	}
	// The jobs waiting for a person wait again before any update is read: an UpdateResolveJob that
	// the server handed on from the previous run is validated as the handlers are registered.
	for _, j := range c.Jobs {
		if j.Wait == waitPerson || j.Wait == waitConflict {
			r.escalations = append(r.escalations, &escalation{jobID: j.Job.ID, conflict: j.Wait == waitConflict})
		}
	}
}

// resume carries on a request from the safe point its previous run stopped at.
func (r *request) resume(ctx workflow.Context) (Outcome, error) {
	workflow.Go(ctx, r.trackDeadline)
	switch phase := r.cont.phase; phase {
	case phaseVerifying:
		if !r.awaitCode(ctx) {
			return r.end(ctx)
		}
		if r.needsReview(ctx) && !r.review(ctx) {
			return r.end(ctx)
		}
		return r.fulfil(ctx)
	case phaseReview:
		if !r.awaitReview(ctx) {
			return r.end(ctx)
		}
		return r.fulfil(ctx)
	case phaseFulfilling, phasePartners:
		jobs := r.jobsContext(ctx)
		r.resumeJobs(jobs)
		return r.afterJobs(ctx, jobs, phase)
	default:
		return Outcome{}, fmt.Errorf("request %s: carried phase %q is unknown", r.in.ID, phase)
	}
}

// end ends the main story where verify or review stopped: the answer, or the next run.
func (r *request) end(ctx workflow.Context) (Outcome, error) {
	if r.cont.continuing {
		return r.continueAsNew(ctx)
	}
	return r.finish(ctx)
}

// resumeJobs waits again for the jobs the previous run carried, each where it was.
func (r *request) resumeJobs(ctx workflow.Context) {
	for _, j := range r.in.Carried.Jobs {
		r.pending++
		r.cont.active++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { r.cont.active-- }()
			var out act.JobOutcome
			switch j.Wait {
			case waitTask:
				out = r.resolvingConflicts(ctx, j.Ref, j.Job, r.runTaskFrom(ctx, j.Ref, j.Job, &j))
			case waitConflict:
				out = *j.Conflicted
				if next, ok := r.awaitConflictResolution(ctx, j.Ref, j.Job, out, r.task(conflictTaskID(j.Job.ID))); ok {
					out = r.resolvingConflicts(ctx, j.Ref, next, r.runPrepared(ctx, j.Ref, next))
				}
			default:
				out = r.resolvingConflicts(ctx, j.Ref, j.Job, r.runBounded(ctx, j.Ref, j.Job, true))
			}
			r.outcomes = append(r.outcomes, out)
			r.pending--
			r.recordJob(ctx, out)
		})
	}
	r.awaitJobs(ctx)
}
