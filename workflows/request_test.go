package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

const day = 24 * time.Hour

// start is the virtual time every test request is received at.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	requestID    = "r-1"
	subjectEmail = "ada@example.com"
	subjectName  = "Ada Lovelace"
)

var (
	crm     = activities.ConnectorRef{ID: "crm", Owner: "Sales", Role: connectors.RoleSubsidiary}
	billing = activities.ConnectorRef{ID: "billing", Owner: "Finance", Role: connectors.RoleSubsidiary}
	adnet   = activities.ConnectorRef{ID: "adnet", Owner: "AdNet Ltd", Role: connectors.RolePartner}

	frontDoor = workflows.Actor{ID: "frontdoor", Role: "system"}
	agent     = workflows.Actor{ID: "agent:alice", Role: "agent"}
	reviewer  = workflows.Actor{ID: "reviewer:bob", Role: "reviewer"}
)

func newInput(typ dsrflow.RequestType, v dsrflow.Verification) workflows.RequestInput {
	return workflows.RequestInput{
		ID: requestID, Type: typ, Country: "DE", Jurisdiction: "gdpr", Channel: "web",
		ReceivedAt: start, Due: start.Add(30 * day), ExtendedDue: start.Add(90 * day),
		SubjectKey:   "subject-key",
		Identity:     dsrflow.Identity{Email: subjectEmail, Name: subjectName},
		Verification: v, AttestReason: "passport seen at the counter", Actor: "agent:alice",
		Version: workflows.RequestVersion,
	}
}

// timed is one activity call with the virtual time it ran at.
type timed[T any] struct {
	At  time.Time
	Arg T
}

// harness runs the request workflow with every activity mocked and records each call.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	in  workflows.RequestInput

	// located are the customer tenants the processors find (LocateTenants); none by default.
	located []act.Located
	// subsidiaries and partners are what Select returns, unless selectFor is set.
	subsidiaries, partners []activities.ConnectorRef
	selectFor              func(activities.SelectInput) []activities.ConnectorRef
	// run, when set for a connector id, answers Run; attempt counts from 1. Default: completed.
	run map[string]func(job connectors.Job, attempt int) (activities.JobOutcome, error)
	// poll answers Poll; attempt counts the polls of that job from 1. Default: completed.
	poll func(job connectors.Job, attempt int) (activities.JobOutcome, error)
	// respond, when set, answers Respond; attempt counts from 1. Default: success.
	respond func(in activities.RespondInput, attempt int) error
	// storeDownUntil, when set, makes every Transition fail until that virtual time: the store is down.
	storeDownUntil time.Time

	mu          sync.Mutex
	attempts    map[string]int
	pollCount   map[string]int
	transitions []activities.Transition
	audits      []store.AuditEvent
	// trail is every audit event in the order the store would get it, whichever call carried it.
	trail []store.AuditEvent
	// writes counts the bookkeeping local activities the workflow ran: Transition, AppendAudit, RecordJob.
	writes      int
	codes       []timed[activities.IssueCodeInput]
	mails       []activities.Mail
	selects     []activities.SelectInput
	runs        []timed[connectors.Job]
	polls       []timed[connectors.Job]
	recorded    []activities.JobOutcome
	decisions   []store.Decision
	responds    []activities.RespondInput
	acks        []activities.AcknowledgeInput
	upserts     []temporal.SearchAttributes
	cards       []activities.PostCardInput
	cardUpdates []activities.UpdateCardInput
	alerts      []timed[activities.AlertInput]
	suppressed  []activities.SuppressInput
	awaits      []timed[activities.AwaitInput]
	awaitIn     activities.AwaitInput
	awaitPlans  map[string]awaitPlan
}

type awaitPlan struct {
	out   activities.JobOutcome
	err   error
	polls []timed[connectors.Job]
}

// planAwait plays an AwaitResult call's polls from now and returns how long the call takes.
func (h *harness) planAwait(in activities.AwaitInput) time.Duration {
	now := h.env.Now().UTC()
	h.mu.Lock()
	h.awaits = append(h.awaits, timed[activities.AwaitInput]{now, in})
	h.mu.Unlock()
	plan := awaitPlan{out: h.outcome(in.Job, connectors.StatusAccepted)}
	t, wait := now, in.FirstPoll
	for {
		t = t.Add(wait)
		if !t.Before(in.Until) {
			t = in.Until
			break
		}
		plan.polls = append(plan.polls, timed[connectors.Job]{t, in.Job})
		h.mu.Lock()
		h.pollCount[in.Job.ID]++
		attempt := h.pollCount[in.Job.ID]
		h.mu.Unlock()
		out, err := h.outcome(in.Job, connectors.StatusCompleted), error(nil)
		if h.poll != nil {
			out, err = h.poll(in.Job, attempt)
		}
		if err == nil && out.Status.Final() {
			plan.out = out
			break
		}
		if appErr := (*temporal.ApplicationError)(nil); errors.As(err, &appErr) && appErr.NonRetryable() {
			plan.err = err
			break
		}
		wait = min(2*wait, in.PollEvery)
	}
	h.mu.Lock()
	if h.awaitPlans == nil {
		h.awaitPlans = map[string]awaitPlan{}
	}
	h.awaitPlans[in.Job.ID] = plan
	h.mu.Unlock()
	return t.Sub(now)
}

func newHarness(t *testing.T, in workflows.RequestInput) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	h := &harness{
		t: t, env: suite.NewTestWorkflowEnvironment(), in: in,
		subsidiaries: []activities.ConnectorRef{crm, billing},
		partners:     []activities.ConnectorRef{adnet},
		run:          map[string]func(connectors.Job, int) (activities.JobOutcome, error){},
		attempts:     map[string]int{},
		pollCount:    map[string]int{},
	}
	env := h.env
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)

	var (
		st   *activities.Store
		ver  *activities.Verification
		conn *activities.Connectors
		ans  *activities.Answer
	)
	env.OnActivity(st.Transition, mock.Anything, mock.Anything).Return(func(_ context.Context, tr activities.Transition) error {
		if h.env.Now().Before(h.storeDownUntil) {
			return errors.New("store unavailable")
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.transitions = append(h.transitions, tr)
		h.trail = append(append(h.trail, tr.Earlier...), tr.Event)
		h.writes++
		return nil
	})
	env.OnActivity(st.AppendAudit, mock.Anything, mock.Anything).Return(func(_ context.Context, e store.AuditEvent) (store.AuditEvent, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.audits = append(h.audits, e)
		h.trail = append(h.trail, e)
		h.writes++
		return e, nil
	})
	env.OnActivity(st.RecordJob, mock.Anything, mock.Anything).Return(func(_ context.Context, o activities.JobOutcome) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.recorded = append(h.recorded, o)
		h.trail = append(h.trail, store.AuditEvent{At: h.env.Now().UTC(), Action: "job_" + string(o.Status), Actor: "connector:" + o.Connector.ID, Detail: map[string]string{"job": o.JobID}})
		h.writes++
		return nil
	})
	env.OnActivity(st.RecordDecision, mock.Anything, mock.Anything).Return(func(_ context.Context, d store.Decision) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.decisions = append(h.decisions, d)
		h.trail = append(h.trail, store.AuditEvent{At: d.At, Action: "decision_" + string(d.Decision), Actor: d.Reviewer, Reason: d.Reason})
		return nil
	})
	env.OnActivity(ver.IssueCode, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.IssueCodeInput) error {
		now := env.Now().UTC()
		h.mu.Lock()
		defer h.mu.Unlock()
		h.codes = append(h.codes, timed[activities.IssueCodeInput]{now, in})
		return nil
	})
	env.OnActivity(ver.Send, mock.Anything, mock.Anything).Return(func(_ context.Context, m activities.Mail) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.mails = append(h.mails, m)
		return nil
	})
	env.OnActivity(conn.Select, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SelectInput) ([]activities.ConnectorRef, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.selects = append(h.selects, in)
		if h.selectFor != nil {
			return h.selectFor(in), nil
		}
		if in.Partners {
			return h.partners, nil
		}
		return h.subsidiaries, nil
	})
	env.OnActivity(conn.Run, mock.Anything, mock.Anything).Return(func(_ context.Context, job connectors.Job) (activities.JobOutcome, error) {
		now := env.Now().UTC()
		h.mu.Lock()
		h.runs = append(h.runs, timed[connectors.Job]{now, job})
		h.attempts[job.ID]++
		attempt := h.attempts[job.ID]
		fn := h.run[job.Connector]
		h.mu.Unlock()
		if fn != nil {
			return fn(job, attempt)
		}
		return h.outcome(job, connectors.StatusCompleted), nil
	})
	env.OnActivity(conn.Poll, mock.Anything, mock.Anything).Return(func(_ context.Context, job connectors.Job) (activities.JobOutcome, error) {
		now := env.Now().UTC()
		h.mu.Lock()
		h.polls = append(h.polls, timed[connectors.Job]{now, job})
		h.pollCount[job.ID]++
		attempt := h.pollCount[job.ID]
		h.mu.Unlock()
		if h.poll != nil {
			return h.poll(job, attempt)
		}
		return h.outcome(job, connectors.StatusCompleted), nil
	})
	// AwaitResult polls inside one activity: the mock plays the polls it would make (h.poll), FirstPoll
	// apart and doubling to PollEvery, and returns at the virtual time of the first final one, or at the
	// escalation point. The matcher sees the input before the wait is chosen (AfterFn has no arguments).
	env.OnActivity(conn.AwaitResult, mock.Anything, mock.MatchedBy(func(in activities.AwaitInput) bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.awaitIn = in
		return true
	})).AfterFn(func() time.Duration {
		h.mu.Lock()
		in := h.awaitIn
		h.mu.Unlock()
		return h.planAwait(in)
	}).Return(func(ctx context.Context, in activities.AwaitInput) (activities.JobOutcome, error) {
		if ctx.Err() != nil {
			return activities.JobOutcome{}, ctx.Err()
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		p := h.awaitPlans[in.Job.ID]
		// The polls made: only those of an await that ran to its end (a callback cancels it).
		h.polls = append(h.polls, p.polls...)
		return p.out, p.err
	})
	var sup *activities.Suppression
	env.OnActivity(sup.Suppress, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SuppressInput) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.suppressed = append(h.suppressed, in)
		return nil
	})
	env.OnActivity(ans.Acknowledge, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AcknowledgeInput) (activities.AcknowledgeResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.acks = append(h.acks, in)
		return activities.AcknowledgeResult{}, nil
	})
	var rt *activities.Routing
	env.OnActivity(rt.LocateTenants, mock.Anything, mock.Anything).Return(func(context.Context, act.LocateInput) ([]act.Located, error) {
		return h.located, nil
	})
	env.OnActivity(rt.OpenRouted, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.OpenRoutedInput) (act.RoutedRef, error) {
		return act.RoutedRef{ID: dsrflow.RoutedID(in.RequestID, in.Connector, in.Tenant), RequestID: in.RequestID, Type: in.Type, Located: in.Located,
			LegalName: "Acme Manufacturing AS", Contact: "privacy@acme.example", RemindAt: in.Now.Add(8 * 24 * time.Hour), DueAt: in.Now.Add(14 * 24 * time.Hour)}, nil
	})
	env.OnActivity(rt.RecordRouted, mock.Anything, mock.Anything).Return(nil)
	env.RegisterWorkflow(workflows.Routed)
	env.OnActivity(ans.Respond, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RespondInput) error {
		h.mu.Lock()
		h.responds = append(h.responds, in)
		attempt := len(h.responds)
		h.mu.Unlock()
		if h.respond != nil {
			if err := h.respond(in, attempt); err != nil {
				return err
			}
		}
		if (in.Begin != nil || in.End != nil) && h.env.Now().Before(h.storeDownUntil) {
			return errors.New("store unavailable")
		}
		// The transitions Respond records itself (revision 1), as the store would see them.
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, tr := range []*activities.Transition{in.Begin, in.End} {
			if tr != nil {
				h.transitions = append(h.transitions, *tr)
				h.trail = append(append(h.trail, tr.Earlier...), tr.Event)
			}
		}
		return nil
	})
	var rev *activities.Review
	env.OnActivity(rev.PostCard, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PostCardInput) (dsrflow.CardRef, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.cards = append(h.cards, in)
		return dsrflow.CardRef{Channel: "C-REVIEW", TS: fmt.Sprint(len(h.cards))}, nil
	})
	env.OnActivity(rev.UpdateCard, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.UpdateCardInput) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.cardUpdates = append(h.cardUpdates, in)
		return nil
	})
	env.OnActivity(rev.SendAlert, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AlertInput) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.alerts = append(h.alerts, timed[activities.AlertInput]{env.Now().UTC(), in})
		return nil
	})
	// Working days are calendar days here: internal/deadline has its own tests.
	env.OnActivity(rev.WorkingDaysLater, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.WorkingDaysInput) (time.Time, error) {
		return in.From.Add(time.Duration(in.Days) * day), nil
	})
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.upserts = append(h.upserts, args.Get(0).(temporal.SearchAttributes))
	}).Return(nil)
	return h
}

// outcome is the JobOutcome the Connectors activity would return for job.
func (h *harness) outcome(job connectors.Job, status connectors.Status) activities.JobOutcome {
	ref := activities.ConnectorRef{ID: job.Connector}
	for _, r := range append(slices.Clone(h.subsidiaries), h.partners...) {
		if r.ID == job.Connector {
			ref = r
		}
	}
	return activities.JobOutcome{Connector: ref, JobID: job.ID, Action: job.Action, Status: status, Attempts: 1}
}

// execute runs the workflow to its end and returns its result; the workflow must complete.
func (h *harness) execute() workflows.Outcome {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.Request, h.in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var out workflows.Outcome
	if err := h.env.GetWorkflowResult(&out); err != nil {
		h.t.Fatalf("workflow result: %v", err)
	}
	h.assertNoPersonalDataInSearchAttributes()
	return out
}

// at runs fn at start+d of virtual time.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// updateResult is what the caller of an update saw.
type updateResult struct {
	sent      bool
	accepted  bool
	rejected  error
	completed bool
	err       error
	state     workflows.State
}

// refusal is the error that refused the update: the validator's, or the handler's.
func (u *updateResult) refusal() error {
	if u.rejected != nil {
		return u.rejected
	}
	return u.err
}

// send sends an update now; call it from a callback registered with at.
func (h *harness) send(name string, arg any) *updateResult {
	u := &updateResult{}
	h.sendTo(u, name, arg)
	return u
}

func (h *harness) sendTo(u *updateResult, name string, arg any) {
	u.sent = true
	h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() { u.accepted = true },
		OnReject: func(err error) { u.rejected = err },
		OnComplete: func(v any, err error) {
			u.completed, u.err = true, err
			if s, ok := v.(workflows.State); ok {
				u.state = s
			}
		},
	}, arg)
}

// update sends an update at start+d.
func (h *harness) update(d time.Duration, name string, arg any) *updateResult {
	u := &updateResult{}
	h.at(d, func() { h.sendTo(u, name, arg) })
	return u
}

// queryAt reads the state query at start+d.
func (h *harness) queryAt(d time.Duration) *workflows.State {
	s := &workflows.State{}
	h.at(d, func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			h.t.Errorf("query state: %v", err)
			return
		}
		if err := v.Get(s); err != nil {
			h.t.Errorf("decode state: %v", err)
		}
	})
	return s
}

// statuses are the index row's statuses as the workflow writes them. The front door writes the row
// as received; the workflow's first write comes with its first wait (revision 1), in the status then.
func (h *harness) statuses() []dsrflow.Status {
	// Mocks may still be writing: a local activity the test environment abandoned when the workflow ended.
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []dsrflow.Status
	for _, tr := range h.transitions {
		out = append(out, dsrflow.Status(tr.Request.Status))
	}
	return out
}

// events returns every audit event, those written with a status change included, in call order.
func (h *harness) events() []store.AuditEvent {
	// Mocks may still be writing: a local activity the test environment abandoned when the workflow ended.
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.audits)
	for _, tr := range h.transitions {
		out = append(out, tr.Earlier...)
		out = append(out, tr.Event)
	}
	slices.SortStableFunc(out, func(a, b store.AuditEvent) int { return a.At.Compare(b.At) })
	return out
}

func (h *harness) eventsNamed(action string) []store.AuditEvent {
	var out []store.AuditEvent
	for _, e := range h.events() {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func (h *harness) codeKinds() []string {
	// Mocks may still be writing: a local activity the test environment abandoned when the workflow ended.
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, c := range h.codes {
		out = append(out, c.Arg.Kind)
	}
	return out
}

func (h *harness) runIDs() []string {
	// Mocks may still be writing: a local activity the test environment abandoned when the workflow ended.
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.runs {
		out = append(out, r.Arg.ID)
	}
	slices.Sort(out)
	return out
}

func (h *harness) onlyRespond() activities.RespondInput {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.responds) != 1 {
		h.t.Fatalf("Respond called %d times, want 1", len(h.responds))
	}
	return h.responds[0]
}

// assertNoPersonalDataInSearchAttributes checks every upsert: only DsrStatus and DsrDueAt, and no value
// holding the subject's email or name.
func (h *harness) assertNoPersonalDataInSearchAttributes() {
	h.t.Helper()
	if len(h.upserts) == 0 {
		h.t.Error("no search attribute upserts recorded")
	}
	for i, sa := range h.upserts {
		for key, v := range sa.GetUntypedValues() {
			name := key.GetName()
			if name != workflows.AttrStatus.GetName() && name != workflows.AttrDueAt.GetName() {
				h.t.Errorf("upsert %d sets search attribute %q, want only DsrStatus and DsrDueAt", i, name)
			}
			s := fmt.Sprint(v)
			if strings.Contains(s, subjectEmail) || strings.Contains(s, subjectName) {
				h.t.Errorf("upsert %d puts personal data in %q: %q", i, name, s)
			}
		}
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// errType returns the application error type (a dsrflow error code) of err, "" when it has none.
func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func jobID(connector string, action dsrflow.Action) string {
	return connectors.JobID(requestID, connector, action)
}

func TestAccessWithEmailCodeCompletes(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	verified := h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})

	out := h.execute()

	eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCompleted, Jobs: map[string]connectors.Status{
		jobID("billing", dsrflow.ActionAccess): connectors.StatusCompleted,
		jobID("crm", dsrflow.ActionAccess):     connectors.StatusCompleted,
	}})
	eq(t, "statuses", h.statuses(), []dsrflow.Status{
		dsrflow.StatusVerifying, dsrflow.StatusFulfilling, dsrflow.StatusResponding, dsrflow.StatusCompleted,
	})
	eq(t, "codes", h.codes, []timed[activities.IssueCodeInput]{
		{start, activities.IssueCodeInput{RequestID: requestID, To: subjectEmail, Kind: "code", Seq: 1}},
	})
	if !verified.accepted || !verified.completed || verified.err != nil {
		t.Fatalf("verified update: %+v", verified)
	}
	eq(t, "verified update state", verified.state.Verified, true)

	ev := h.eventsNamed("identity_verified")
	if len(ev) != 1 || ev[0].Actor != frontDoor.ID || !ev[0].At.Equal(start.Add(time.Hour)) {
		t.Errorf("identity_verified events: %+v", ev)
	}
	eq(t, "selects", h.selects, []activities.SelectInput{{Action: dsrflow.ActionAccess, Identity: h.in.Identity}})
	eq(t, "jobs run", h.runIDs(), []string{jobID("billing", dsrflow.ActionAccess), jobID("crm", dsrflow.ActionAccess)})
	for _, r := range h.runs {
		j := r.Arg
		if !r.At.Equal(start.Add(time.Hour)) {
			t.Errorf("job %s ran at %v, want when verified", j.ID, r.At)
		}
		want := connectors.Job{
			Protocol: connectors.ProtocolVersion, ID: j.ID, RequestID: requestID, Connector: j.Connector,
			Action: dsrflow.ActionAccess, Identities: h.in.Identity, Deadline: h.in.Due,
			Verified: []string{dsrflow.IdentityEmail}, // the emailed code proves the email only
		}
		eq(t, "job "+j.ID, j, want)
	}
	if len(h.recorded) != 2 {
		t.Errorf("RecordJob called %d times, want 2", len(h.recorded))
	}

	resp := h.onlyRespond()
	eq(t, "respond status", resp.Status, dsrflow.StatusCompleted)
	eq(t, "respond reason", resp.Reason, "")
	eq(t, "respond to", resp.To, subjectEmail)
	eq(t, "respond type", resp.Type, dsrflow.Access)
	eq(t, "respond due", resp.Due, h.in.Due)
	eq(t, "respond received", resp.Received, h.in.ReceivedAt)
	eq(t, "respond closed", resp.Closed, start.Add(time.Hour))
	eq(t, "respond outcomes", resp.Outcomes, []activities.JobOutcome{
		{Connector: billing, JobID: jobID("billing", dsrflow.ActionAccess), Action: dsrflow.ActionAccess, Status: connectors.StatusCompleted, Attempts: 1},
		{Connector: crm, JobID: jobID("crm", dsrflow.ActionAccess), Action: dsrflow.ActionAccess, Status: connectors.StatusCompleted, Attempts: 1},
	})

	last := h.transitions[len(h.transitions)-1]
	if last.Request.ClosedAt == nil || last.Event.Action != "request_completed" || last.Event.Actor != "system" {
		t.Errorf("closing transition: %+v", last)
	}
	// Responding is written by the Respond activity with the answer: the attribute goes to completed.
	eq(t, "upserted statuses", upsertedStatuses(h.upserts), []string{"verifying", "fulfilling", "completed"})
}

// firstSeen keeps each string once, where it first appears.
func firstSeen(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func actions(events []store.AuditEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func upsertedStatuses(upserts []temporal.SearchAttributes) []string {
	var out []string
	for _, sa := range upserts {
		s, _ := sa.GetKeyword(workflows.AttrStatus)
		out = append(out, s)
	}
	return out
}

func TestUnverifiedRequestLapsesAfter14Days(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))

	out := h.execute()

	eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusLapsed, Jobs: map[string]connectors.Status{}})
	eq(t, "codes", h.codes, []timed[activities.IssueCodeInput]{
		{start, activities.IssueCodeInput{RequestID: requestID, To: subjectEmail, Kind: "code", Seq: 1}},
		{start.Add(3 * day), activities.IssueCodeInput{RequestID: requestID, To: subjectEmail, Kind: "reminder", Seq: 2}},
		{start.Add(7 * day), activities.IssueCodeInput{RequestID: requestID, To: subjectEmail, Kind: "reminder", Seq: 3}},
	})
	if n := len(h.eventsNamed("verification_reminder")); n != 2 {
		t.Errorf("verification_reminder audited %d times, want 2", n)
	}
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusVerifying, dsrflow.StatusLapsed})
	last := h.transitions[len(h.transitions)-1]
	eq(t, "lapsed at", last.Event.At, start.Add(14*day))
	eq(t, "lapsed action", last.Event.Action, "request_lapsed")

	resp := h.onlyRespond()
	eq(t, "respond status", resp.Status, dsrflow.StatusLapsed)
	eq(t, "respond reason", resp.Reason, "identity not verified within 14 days")
	eq(t, "respond outcomes", len(resp.Outcomes), 0)
	eq(t, "respond closed", resp.Closed, start.Add(14*day))
	eq(t, "selects", len(h.selects), 0)
	eq(t, "runs", len(h.runs), 0)
}

func TestVerificationWithoutCode(t *testing.T) {
	for _, tc := range []struct {
		v      dsrflow.Verification
		action string
		actor  string
		reason string
	}{
		{dsrflow.VerifyAgentAttested, "identity_attested", "agent:alice", "passport seen at the counter"},
		{dsrflow.VerifyNone, "verification_not_required", "system", ""},
	} {
		t.Run(string(tc.v), func(t *testing.T) {
			h := newHarness(t, newInput(dsrflow.Access, tc.v))

			out := h.execute()

			eq(t, "status", out.Status, dsrflow.StatusCompleted)
			eq(t, "codes issued", len(h.codes), 0)
			ev := h.eventsNamed(tc.action)
			if len(ev) != 1 || ev[0].Actor != tc.actor || ev[0].Reason != tc.reason {
				t.Errorf("%s events: %+v", tc.action, ev)
			}
			// Receipt, identity and fulfilment go out in one write: the row is written as fulfilling (the
			// front door wrote it as received), with the three events.
			eq(t, "statuses", h.statuses(), []dsrflow.Status{
				dsrflow.StatusFulfilling, dsrflow.StatusResponding, dsrflow.StatusCompleted,
			})
			eq(t, "first events", actions(h.trail[:3]), []string{"request_received", tc.action, "fulfilment_started"})
			eq(t, "jobs run", h.runIDs(), []string{jobID("billing", dsrflow.ActionAccess), jobID("crm", dsrflow.ActionAccess)})
			eq(t, "respond status", h.onlyRespond().Status, dsrflow.StatusCompleted)
		})
	}
}

func TestObjectionReview(t *testing.T) {
	objection := func() workflows.RequestInput {
		in := newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested)
		in.Grounds = "I object to profiling for credit scoring"
		return in
	}

	t.Run("reject", func(t *testing.T) {
		h := newHarness(t, objection())
		state := h.queryAt(time.Hour)
		byAgent := h.update(2*time.Hour, workflows.UpdateDecide, workflows.DecisionInput{Actor: agent, Decision: workflows.DecisionApprove, Reason: "looks fine"})
		noReason := h.update(2*time.Hour+time.Minute, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "  "})
		var first, second *updateResult
		h.at(3*time.Hour, func() {
			first = h.send(workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "compelling legitimate grounds: fraud prevention"})
			second = h.send(workflows.UpdateDecide, workflows.DecisionInput{Actor: workflows.Actor{ID: "dpo:carol", Role: "dpo"}, Decision: workflows.DecisionApprove, Reason: "overrule"})
		})

		out := h.execute()

		eq(t, "status while waiting", state.Status, dsrflow.StatusInReview)
		if byAgent.accepted || errType(byAgent.rejected) != dsrflow.EFORBIDDEN {
			t.Errorf("agent decision: accepted=%v rejected=%v, want rejected %s", byAgent.accepted, byAgent.rejected, dsrflow.EFORBIDDEN)
		}
		if noReason.accepted || errType(noReason.rejected) != dsrflow.EINVALID {
			t.Errorf("decision without reason: accepted=%v rejected=%v, want rejected %s", noReason.accepted, noReason.rejected, dsrflow.EINVALID)
		}
		if !first.accepted || !first.completed || first.err != nil {
			t.Errorf("reviewer decision: %+v", first)
		}
		if second.accepted || errType(second.refusal()) != dsrflow.ECONFLICT {
			t.Errorf("second decision: accepted=%v refusal=%v, want refused %s", second.accepted, second.refusal(), dsrflow.ECONFLICT)
		}
		eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusRejected, Jobs: map[string]connectors.Status{}})
		eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusInReview, dsrflow.StatusRejected})
		last := h.transitions[len(h.transitions)-1]
		eq(t, "rejected by", last.Event.Actor, reviewer.ID)
		eq(t, "rejected reason", last.Event.Reason, "compelling legitimate grounds: fraud prevention")
		eq(t, "decisions", h.decisions, []store.Decision{{
			RequestID: requestID, Reviewer: reviewer.ID, Decision: dsrflow.DecisionReject,
			Reason: "compelling legitimate grounds: fraud prevention", At: start.Add(3 * time.Hour),
		}})
		resp := h.onlyRespond()
		eq(t, "respond status", resp.Status, dsrflow.StatusRejected)
		eq(t, "respond reason", resp.Reason, "compelling legitimate grounds: fraud prevention")
		eq(t, "selects", len(h.selects), 0)
		eq(t, "runs", len(h.runs), 0)
	})

	t.Run("approve", func(t *testing.T) {
		h := newHarness(t, objection())
		var first, second *updateResult
		h.at(3*time.Hour, func() {
			first = h.send(workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionApprove, Reason: "no overriding grounds"})
			second = h.send(workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "changed my mind"})
		})

		out := h.execute()

		if !first.accepted || first.err != nil {
			t.Errorf("reviewer decision: %+v", first)
		}
		if second.accepted || errType(second.refusal()) != dsrflow.ECONFLICT {
			t.Errorf("second decision: accepted=%v refusal=%v, want refused %s", second.accepted, second.refusal(), dsrflow.ECONFLICT)
		}
		eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCompleted, Jobs: map[string]connectors.Status{
			jobID("billing", dsrflow.ActionObject): connectors.StatusCompleted,
			jobID("crm", dsrflow.ActionObject):     connectors.StatusCompleted,
		}})
		eq(t, "statuses", h.statuses(), []dsrflow.Status{
			dsrflow.StatusInReview, dsrflow.StatusFulfilling, dsrflow.StatusResponding, dsrflow.StatusCompleted,
		})
		eq(t, "jobs run", h.runIDs(), []string{jobID("billing", dsrflow.ActionObject), jobID("crm", dsrflow.ActionObject)})
		for _, r := range h.runs {
			eq(t, "grounds on "+r.Arg.ID, r.Arg.Grounds, "I object to profiling for credit scoring")
			if !r.At.Equal(start.Add(3 * time.Hour)) {
				t.Errorf("object job %s ran at %v, want after the decision", r.Arg.ID, r.At)
			}
		}
		eq(t, "decisions", len(h.decisions), 1)
		eq(t, "respond status", h.onlyRespond().Status, dsrflow.StatusCompleted)
	})
}

func TestPartnerNotificationAndJobPayloads(t *testing.T) {
	corrections := map[string]string{"address": "12 Analytical St"}
	purposes := []string{"newsletter", "profiling"}

	t.Run("erasure", func(t *testing.T) {
		h := newHarness(t, newInput(dsrflow.Erasure, dsrflow.VerifyNone))

		out := h.execute()

		eq(t, "selects", h.selects, []activities.SelectInput{
			{Action: dsrflow.ActionErase, Identity: h.in.Identity},
			{Action: dsrflow.ActionNotify, Identity: h.in.Identity, Partners: true, RecipientsTracked: true, HeldBy: []string{"billing", "crm"}},
		})
		// Erase jobs first (in either order), then the notify job.
		if len(h.runs) != 3 {
			t.Fatalf("runs: %d, want 3", len(h.runs))
		}
		eq(t, "first two actions", []dsrflow.Action{h.runs[0].Arg.Action, h.runs[1].Arg.Action}, []dsrflow.Action{dsrflow.ActionErase, dsrflow.ActionErase})
		notify := h.runs[2].Arg
		eq(t, "notify job", notify, connectors.Job{
			Protocol: connectors.ProtocolVersion, ID: jobID("adnet", dsrflow.ActionNotify), RequestID: requestID, Connector: "adnet",
			Action: dsrflow.ActionNotify, Identities: h.in.Identity, Cause: dsrflow.Erasure, Deadline: h.in.Due,
			Verified: []string{dsrflow.IdentityEmail, dsrflow.IdentityName}, // no verification needed: all given
		})
		eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCompleted, Jobs: map[string]connectors.Status{
			jobID("adnet", dsrflow.ActionNotify):  connectors.StatusCompleted,
			jobID("billing", dsrflow.ActionErase): connectors.StatusCompleted,
			jobID("crm", dsrflow.ActionErase):     connectors.StatusCompleted,
		}})
		eq(t, "respond outcomes", len(h.onlyRespond().Outcomes), 3)
	})

	t.Run("rectification", func(t *testing.T) {
		in := newInput(dsrflow.Rectification, dsrflow.VerifyNone)
		in.Corrections = corrections
		h := newHarness(t, in)

		h.execute()

		eq(t, "jobs run", h.runIDs(), []string{
			jobID("adnet", dsrflow.ActionNotify), jobID("billing", dsrflow.ActionRectify), jobID("crm", dsrflow.ActionRectify),
		})
		for _, r := range h.runs {
			eq(t, "corrections on "+r.Arg.ID, r.Arg.Corrections, corrections)
			if r.Arg.Action == dsrflow.ActionNotify {
				eq(t, "notify cause", r.Arg.Cause, dsrflow.Rectification)
			}
		}
		eq(t, "respond corrections", h.onlyRespond().Corrections, corrections)
	})

	t.Run("consent_withdrawal", func(t *testing.T) {
		in := newInput(dsrflow.ConsentWithdrawal, dsrflow.VerifyNone)
		in.Purposes = purposes
		h := newHarness(t, in)

		h.execute()

		eq(t, "selects", h.selects, []activities.SelectInput{{Action: dsrflow.ActionWithdrawConsent, Identity: h.in.Identity}})
		eq(t, "jobs run", h.runIDs(), []string{jobID("billing", dsrflow.ActionWithdrawConsent), jobID("crm", dsrflow.ActionWithdrawConsent)})
		for _, r := range h.runs {
			eq(t, "purposes on "+r.Arg.ID, r.Arg.Purposes, purposes)
			eq(t, "corrections on "+r.Arg.ID, len(r.Arg.Corrections), 0)
		}
		eq(t, "respond purposes", h.onlyRespond().Purposes, purposes)
	})
}

func TestConnectorFailures(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyNone))
	h.run["crm"] = func(job connectors.Job, attempt int) (activities.JobOutcome, error) {
		if attempt <= 3 {
			return activities.JobOutcome{}, errors.New("connector answered 503")
		}
		o := h.outcome(job, connectors.StatusCompleted)
		o.Attempts = attempt
		return o, nil
	}
	h.run["billing"] = func(connectors.Job, int) (activities.JobOutcome, error) {
		return activities.JobOutcome{}, temporal.NewNonRetryableApplicationError("HTTP 404 unknown subject", activities.ErrPermanentConnector, nil)
	}

	// The job's retry policy stops on the permanent error type even when the error itself was not
	// marked non-retryable.
	archive := activities.ConnectorRef{ID: "archive", Owner: "Records", Role: connectors.RoleSubsidiary}
	h.subsidiaries = append(h.subsidiaries, archive)
	h.run["archive"] = func(connectors.Job, int) (activities.JobOutcome, error) {
		return activities.JobOutcome{}, temporal.NewApplicationError("HTTP 410 gone", activities.ErrPermanentConnector)
	}

	out := h.execute()

	// Each job that failed for good is an alert, not only an audit event.
	var failedAlerts []string
	for _, a := range h.alerts {
		if strings.Contains(a.Arg.Alert.Title, "failed the access job") {
			failedAlerts = append(failedAlerts, strings.Fields(a.Arg.Alert.Title)[1])
		}
	}
	slices.Sort(failedAlerts)
	eq(t, "job failure alerts", failedAlerts, []string{"archive", "billing"})

	eq(t, "crm attempts", h.attempts[jobID("crm", dsrflow.ActionAccess)], 4)
	eq(t, "billing attempts", h.attempts[jobID("billing", dsrflow.ActionAccess)], 1)
	eq(t, "archive attempts", h.attempts[jobID("archive", dsrflow.ActionAccess)], 1)
	eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCompleted, Jobs: map[string]connectors.Status{
		jobID("archive", dsrflow.ActionAccess): connectors.StatusFailed,
		jobID("billing", dsrflow.ActionAccess): connectors.StatusFailed,
		jobID("crm", dsrflow.ActionAccess):     connectors.StatusCompleted,
	}})
	esc := h.eventsNamed("job_escalated")
	slices.SortFunc(esc, func(a, b store.AuditEvent) int { return strings.Compare(a.Detail["connector"], b.Detail["connector"]) })
	if len(esc) != 2 {
		t.Fatalf("job_escalated events: %+v, want 2", esc)
	}
	eq(t, "escalation detail", esc[1].Detail, map[string]string{"connector": "billing", "action": "access"})
	eq(t, "escalation reason", esc[1].Reason, "the connector refused the job: HTTP 404 unknown subject")
	eq(t, "escalation detail", esc[0].Detail, map[string]string{"connector": "archive", "action": "access"})
	eq(t, "escalation reason", esc[0].Reason, "the connector refused the job: HTTP 410 gone")

	resp := h.onlyRespond()
	eq(t, "respond status", resp.Status, dsrflow.StatusCompleted)
	eq(t, "respond outcomes", resp.Outcomes, []activities.JobOutcome{
		{Connector: archive, JobID: jobID("archive", dsrflow.ActionAccess), Action: dsrflow.ActionAccess, Status: connectors.StatusFailed,
			Detail: "the connector refused the job: HTTP 410 gone"},
		{Connector: billing, JobID: jobID("billing", dsrflow.ActionAccess), Action: dsrflow.ActionAccess, Status: connectors.StatusFailed,
			Detail: "the connector refused the job: HTTP 404 unknown subject"},
		{Connector: crm, JobID: jobID("crm", dsrflow.ActionAccess), Action: dsrflow.ActionAccess, Status: connectors.StatusCompleted, Attempts: 4},
	})
	eq(t, "recorded jobs", len(h.recorded), 3)
}

func TestAcceptedJobs(t *testing.T) {
	accepted := func(h *harness) func(connectors.Job, int) (activities.JobOutcome, error) {
		return func(job connectors.Job, _ int) (activities.JobOutcome, error) {
			return h.outcome(job, connectors.StatusAccepted), nil
		}
	}

	t.Run("callback", func(t *testing.T) {
		h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyNone))
		h.subsidiaries = []activities.ConnectorRef{crm}
		h.run["crm"] = accepted(h)
		pending := h.queryAt(10 * time.Second)
		h.at(30*time.Second, func() {
			h.env.SignalWorkflow(workflows.SignalJobResult, workflows.JobResult{JobID: jobID("crm", dsrflow.ActionAccess), Result: connectors.Result{
				JobID: jobID("crm", dsrflow.ActionAccess), Status: connectors.StatusCompleted, Detail: "4 records", Counts: map[string]int{"records": 4},
			}})
		})

		out := h.execute()

		eq(t, "pending while waiting", *pending, workflows.State{Status: dsrflow.StatusFulfilling, Due: h.in.Due, Verified: true, Jobs: 1, JobsPending: 1})
		eq(t, "polls", len(h.polls), 0)
		eq(t, "outcome", out.Jobs, map[string]connectors.Status{jobID("crm", dsrflow.ActionAccess): connectors.StatusCompleted})
		resp := h.onlyRespond()
		eq(t, "respond outcomes", resp.Outcomes, []activities.JobOutcome{{
			Connector: crm, JobID: jobID("crm", dsrflow.ActionAccess), Action: dsrflow.ActionAccess, Status: connectors.StatusCompleted,
			Detail: "4 records", Counts: map[string]int{"records": 4}, Attempts: 1,
		}})
		eq(t, "closed", resp.Closed, start.Add(30*time.Second))
	})

	t.Run("poll", func(t *testing.T) {
		h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyNone))
		h.subsidiaries = []activities.ConnectorRef{crm}
		h.run["crm"] = accepted(h)
		h.poll = func(job connectors.Job, attempt int) (activities.JobOutcome, error) {
			if attempt == 1 {
				return h.outcome(job, connectors.StatusPending), nil
			}
			o := h.outcome(job, connectors.StatusNotFound)
			o.Detail = "no data about the subject"
			return o, nil
		}

		out := h.execute()

		// The first poll after a minute, the next after twice as long (up to PollEvery).
		first := dsrflow.DeadlinePolicy.FirstPoll
		var at []time.Time
		for _, p := range h.polls {
			at = append(at, p.At)
		}
		eq(t, "poll times", at, []time.Time{start.Add(first), start.Add(3 * first)})
		eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCompleted, Jobs: map[string]connectors.Status{
			jobID("crm", dsrflow.ActionAccess): connectors.StatusNotFound,
		}})
		eq(t, "respond detail", h.onlyRespond().Outcomes[0].Detail, "no data about the subject")
	})
}

func TestDeadlineRemindersAndEscalations(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested))
	// Nothing happens until a reviewer decides, 40 days in: 10 days past due.
	h.update(40*day-time.Hour, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "too late to matter"})

	h.execute()

	type deadline struct {
		At     time.Time
		Action string
		Detail map[string]string
	}
	var got []deadline
	for _, e := range h.events() {
		if e.Action == "deadline_reminder" || e.Action == "overdue_escalation" {
			got = append(got, deadline{e.At, e.Action, e.Detail})
		}
	}
	due := h.in.Due
	want := []deadline{
		{due.Add(-7 * day), "deadline_reminder", map[string]string{"days_left": "7"}},
		{due.Add(-2 * day), "deadline_reminder", map[string]string{"days_left": "2"}},
	}
	for n := 1; n <= 9; n++ {
		want = append(want, deadline{due.Add(time.Duration(n) * day), "overdue_escalation", map[string]string{"days_overdue": fmt.Sprint(n)}})
	}
	eq(t, "deadline events", got, want)

	// Each reminder and escalation also goes to the alert channel, at the same time.
	var alerted []time.Time
	for _, a := range h.alerts {
		alerted = append(alerted, a.At)
		if strings.Contains(a.Arg.Alert.Title+a.Arg.Alert.Text, subjectEmail) || strings.Contains(a.Arg.Alert.Title+a.Arg.Alert.Text, subjectName) {
			t.Errorf("alert names the subject: %+v", a.Arg.Alert)
		}
	}
	var at []time.Time
	for _, w := range want {
		at = append(at, w.At)
	}
	eq(t, "alert times", alerted, at)
	eq(t, "last alert severity", h.alerts[len(h.alerts)-1].Arg.Alert.Severity, "critical")

	// The objection's review card: posted with buttons, updated without them once decided.
	eq(t, "cards", len(h.cards), 1)
	eq(t, "card actions", h.cards[0].Card.Actions, []dsrflow.VoteAction{dsrflow.VoteApprove, dsrflow.VoteReject})
	eq(t, "card kind", h.cards[0].Card.Kind, dsrflow.ReviewObjection)
	eq(t, "card updates", len(h.cardUpdates), 1)
	final := h.cardUpdates[0]
	eq(t, "updated card", final.Ref, dsrflow.CardRef{Channel: "C-REVIEW", TS: "1"})
	eq(t, "final actions", len(final.Card.Actions), 0)
	eq(t, "final state", final.Card.State, "Objection declined by "+reviewer.ID)
	if b := fmt.Sprint(h.cards, h.cardUpdates); strings.Contains(b, subjectEmail) || strings.Contains(b, subjectName) || strings.Contains(b, "too late") {
		t.Errorf("cards name the subject or the reason: %s", b)
	}
}

func TestExtend(t *testing.T) {
	reason := "the request covers 12 systems"

	t.Run("before due", func(t *testing.T) {
		h := newHarness(t, newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested))
		noReason := h.update(4*day, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: " "})
		first := h.update(5*day, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: reason})
		state := h.queryAt(5*day + time.Hour)
		second := h.update(6*day, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: "more"})
		h.update(40*day, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "grounds override"})

		h.execute()

		if noReason.accepted || errType(noReason.rejected) != dsrflow.EINVALID {
			t.Errorf("extend without reason: accepted=%v rejected=%v, want rejected %s", noReason.accepted, noReason.rejected, dsrflow.EINVALID)
		}
		if !first.accepted || !first.completed || first.err != nil {
			t.Fatalf("extend: %+v", first)
		}
		if second.accepted || errType(second.refusal()) != dsrflow.ECONFLICT {
			t.Errorf("second extend: accepted=%v refusal=%v, want refused %s", second.accepted, second.refusal(), dsrflow.ECONFLICT)
		}
		eq(t, "state after extend", *state, workflows.State{Status: dsrflow.StatusInReview, Due: h.in.ExtendedDue, Extended: true, Verified: true})
		eq(t, "update state due", first.state.Due, h.in.ExtendedDue)

		if len(h.mails) != 1 {
			t.Fatalf("mails: %+v, want 1", h.mails)
		}
		m := h.mails[0]
		eq(t, "mail kind", m.Kind, "extension")
		eq(t, "mail to", m.To, subjectEmail)
		eq(t, "mail id", m.ID, requestID+":extension")
		if !strings.Contains(m.Text, h.in.ExtendedDue.Format("2 January 2006")) || !strings.Contains(m.Text, reason) {
			t.Errorf("mail text lacks the new date or the reason: %q", m.Text)
		}
		// The activity writes the notice in the subject's language from what the workflow gives it.
		if m.Extension == nil || !m.Extension.Due.Equal(h.in.ExtendedDue) || m.Extension.Reason != reason || m.Extension.Language != h.in.Language {
			t.Errorf("mail extension = %+v, want the new due date, the reason and the request's language", m.Extension)
		}

		ext := h.eventsNamed("deadline_extended")
		if len(ext) != 1 {
			t.Fatalf("deadline_extended events: %+v", ext)
		}
		eq(t, "extended by", ext[0].Actor, agent.ID)
		eq(t, "extended reason", ext[0].Reason, reason)
		eq(t, "extended detail", ext[0].Detail, map[string]string{"due": h.in.ExtendedDue.Format("2006-01-02")})
		for _, tr := range h.transitions {
			if tr.Event.Action == "deadline_extended" {
				if tr.Request.ExtendedDueAt == nil || !tr.Request.ExtendedDueAt.Equal(h.in.ExtendedDue) || !tr.Request.DueAt.Equal(h.in.ExtendedDue) {
					t.Errorf("index row after extension: due %v extended %v", tr.Request.DueAt, tr.Request.ExtendedDueAt)
				}
			}
		}
		// Reminders follow the new due date: none before day 40, when the first due date's would have come.
		for _, name := range []string{"deadline_reminder", "overdue_escalation"} {
			if ev := h.eventsNamed(name); len(ev) != 0 {
				t.Errorf("%s after extension to day 90: %+v", name, ev)
			}
		}
		due, _ := h.upserts[len(h.upserts)-1].GetTime(workflows.AttrDueAt)
		eq(t, "DsrDueAt", due, h.in.ExtendedDue)
		eq(t, "respond due", h.onlyRespond().Due, h.in.ExtendedDue)
	})

	t.Run("after first due date", func(t *testing.T) {
		h := newHarness(t, newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested))
		late := h.update(31*day, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: reason})
		state := h.queryAt(31*day + time.Hour)
		h.update(32*day, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "grounds override"})

		h.execute()

		if errType(late.refusal()) != dsrflow.ECONFLICT {
			t.Errorf("late extend: %+v, want refused %s", late, dsrflow.ECONFLICT)
		}
		eq(t, "state", *state, workflows.State{Status: dsrflow.StatusInReview, Due: h.in.Due, Verified: true})
		eq(t, "mails", len(h.mails), 0)
		eq(t, "deadline_extended events", len(h.eventsNamed("deadline_extended")), 0)
	})
}

func TestCancel(t *testing.T) {
	t.Run("while verifying", func(t *testing.T) {
		h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
		noReason := h.update(12*time.Hour, workflows.UpdateCancel, workflows.CancelInput{Actor: agent})
		cancel := h.update(day, workflows.UpdateCancel, workflows.CancelInput{Actor: agent, Reason: "the subject withdrew the request by phone"})

		out := h.execute()

		if noReason.accepted || errType(noReason.rejected) != dsrflow.EINVALID {
			t.Errorf("cancel without reason: accepted=%v rejected=%v", noReason.accepted, noReason.rejected)
		}
		if !cancel.accepted || cancel.err != nil {
			t.Fatalf("cancel: %+v", cancel)
		}
		eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCanceled, Jobs: map[string]connectors.Status{}})
		eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusVerifying, dsrflow.StatusCanceled})
		last := h.transitions[len(h.transitions)-1]
		eq(t, "canceled by", last.Event.Actor, agent.ID)
		eq(t, "canceled at", last.Event.At, start.Add(day))
		resp := h.onlyRespond()
		eq(t, "respond status", resp.Status, dsrflow.StatusCanceled)
		eq(t, "respond reason", resp.Reason, "the subject withdrew the request by phone")
		eq(t, "codes", h.codeKinds(), []string{"code"})
		eq(t, "runs", len(h.runs), 0)
	})

	t.Run("after fulfilment started", func(t *testing.T) {
		h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyNone))
		h.subsidiaries = []activities.ConnectorRef{crm}
		h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
			return h.outcome(job, connectors.StatusAccepted), nil
		}
		cancel := h.update(time.Minute, workflows.UpdateCancel, workflows.CancelInput{Actor: agent, Reason: "too late"})

		out := h.execute()

		if cancel.accepted || errType(cancel.rejected) != dsrflow.ECONFLICT {
			t.Errorf("cancel during fulfilment: accepted=%v rejected=%v, want rejected %s", cancel.accepted, cancel.rejected, dsrflow.ECONFLICT)
		}
		eq(t, "status", out.Status, dsrflow.StatusCompleted)
		eq(t, "respond status", h.onlyRespond().Status, dsrflow.StatusCompleted)
	})
}

func TestResendLimit(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	var resends []*updateResult
	for i := 1; i <= dsrflow.CodePolicy.Resends+1; i++ {
		resends = append(resends, h.update(time.Duration(i)*time.Hour, workflows.UpdateResend, workflows.ResendInput{Actor: frontDoor}))
	}
	h.update(10*time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
	afterVerified := h.update(10*time.Hour+time.Second, workflows.UpdateResend, workflows.ResendInput{Actor: frontDoor})

	out := h.execute()

	for i, u := range resends[:dsrflow.CodePolicy.Resends] {
		if !u.accepted || u.err != nil {
			t.Errorf("resend %d: %+v, want accepted", i+1, u)
		}
	}
	last := resends[dsrflow.CodePolicy.Resends]
	if last.accepted || errType(last.rejected) != dsrflow.ECONFLICT {
		t.Errorf("resend %d: accepted=%v rejected=%v, want rejected %s", dsrflow.CodePolicy.Resends+1, last.accepted, last.rejected, dsrflow.ECONFLICT)
	}
	if afterVerified.accepted {
		t.Errorf("resend after verification was accepted")
	}
	var seqs []int
	for _, c := range h.codes {
		seqs = append(seqs, c.Arg.Seq)
	}
	eq(t, "code kinds", h.codeKinds(), []string{"code", "resend", "resend", "resend"})
	eq(t, "code seqs", seqs, []int{1, 2, 3, 4})
	eq(t, "resent audits", len(h.eventsNamed("verification_code_resent")), 3)
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
}

func TestSearchAttributesHoldNoPersonalData(t *testing.T) {
	in := newInput(dsrflow.Rectification, dsrflow.VerifyEmailCode)
	in.Corrections = map[string]string{"email": "ada.l@example.com"}
	in.Identity.Phone = "+44 20 7946 0000"
	h := newHarness(t, in)
	h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})

	h.execute() // checks every upsert

	for i, sa := range h.upserts {
		if sa.Size() != 2 || !sa.ContainsKey(workflows.AttrStatus) || !sa.ContainsKey(workflows.AttrDueAt) {
			t.Errorf("upsert %d: %v, want exactly DsrStatus and DsrDueAt", i, sa.GetUntypedValues())
		}
		for _, v := range sa.GetUntypedValues() {
			s := fmt.Sprint(v)
			if strings.Contains(s, "ada.l@example.com") || strings.Contains(s, in.Identity.Phone) {
				t.Errorf("upsert %d holds personal data: %q", i, s)
			}
		}
	}
	eq(t, "upserted statuses", upsertedStatuses(h.upserts), []string{"verifying", "fulfilling", "completed"})
}

func TestCancelInReview(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested))
	cancel := h.update(2*day, workflows.UpdateCancel, workflows.CancelInput{Actor: agent, Reason: "subject withdrew the objection"})
	decide := h.update(2*day+time.Minute, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionApprove, Reason: "fine"})

	out := h.execute()

	if !cancel.accepted || cancel.err != nil {
		t.Fatalf("cancel: %+v", cancel)
	}
	if decide.accepted {
		t.Errorf("decision after cancel was accepted")
	}
	eq(t, "outcome", out, workflows.Outcome{Status: dsrflow.StatusCanceled, Jobs: map[string]connectors.Status{}})
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusInReview, dsrflow.StatusCanceled})
	eq(t, "respond reason", h.onlyRespond().Reason, "subject withdrew the objection")
	eq(t, "runs", len(h.runs), 0)
}

// While the answer to a lapsed request is being sent (Respond retrying), the request has ended: a cancel
// must be refused, and the closing event must not name the agent as the one who closed it.
func TestCancelRefusedWhileAnsweringLapsedRequest(t *testing.T) {

	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	h.respond = func(_ activities.RespondInput, attempt int) error {
		if attempt <= 2 {
			return errors.New("outbox unavailable")
		}
		return nil
	}
	cancel := h.update(14*day+500*time.Millisecond, workflows.UpdateCancel, workflows.CancelInput{Actor: agent, Reason: "duplicate"})

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusLapsed)
	last := h.transitions[len(h.transitions)-1]
	eq(t, "closing event", last.Event.Action, "request_lapsed")
	eq(t, "closed by", last.Event.Actor, "system")
	if cancel.accepted || errType(cancel.refusal()) != dsrflow.ECONFLICT {
		t.Errorf("cancel of a lapsed request while answering: accepted=%v refusal=%v, want refused %s", cancel.accepted, cancel.refusal(), dsrflow.ECONFLICT)
	}
}

// An extension accepted while a job waits for its connector must give the job the extended time: the
// job must not be escalated at the margin to the first due date.
func TestExtensionGivesRunningJobsTheNewDueDate(t *testing.T) {

	in := newInput(dsrflow.Access, dsrflow.VerifyNone)
	// Received close to its due date: the job's retry window is the minimum, one day.
	in.Due, in.ExtendedDue = start.Add(5*day), start.Add(65*day)
	h := newHarness(t, in)
	h.subsidiaries = []activities.ConnectorRef{crm}
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	h.poll = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusPending), nil
	}
	extend := h.update(time.Hour, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: "the archive connector needs a week"})
	h.at(3*day, func() {
		h.env.SignalWorkflow(workflows.SignalJobResult, workflows.JobResult{JobID: jobID("crm", dsrflow.ActionAccess), Result: connectors.Result{
			JobID: jobID("crm", dsrflow.ActionAccess), Status: connectors.StatusCompleted,
		}})
	})

	out := h.execute()

	if !extend.accepted || extend.err != nil {
		t.Fatalf("extend: %+v", extend)
	}
	eq(t, "job outcome", out.Jobs, map[string]connectors.Status{jobID("crm", dsrflow.ActionAccess): connectors.StatusCompleted})
	eq(t, "escalations", len(h.eventsNamed("job_escalated")), 0)
	eq(t, "answered at", h.onlyRespond().Closed, start.Add(3*day))
}

// While the answer is being sent (Respond retrying), telling the subject "we need more time" contradicts
// the answer: an extension must be refused once the request is responding.
func TestExtendRefusedWhileAnswering(t *testing.T) {

	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyNone))
	h.respond = func(_ activities.RespondInput, attempt int) error {
		if attempt <= 2 {
			return errors.New("outbox unavailable")
		}
		return nil
	}
	extend := h.update(500*time.Millisecond, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: "more time"})

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	if extend.accepted || errType(extend.refusal()) != dsrflow.ECONFLICT {
		t.Errorf("extend while answering: accepted=%v refusal=%v, want refused %s", extend.accepted, extend.refusal(), dsrflow.ECONFLICT)
	}
	eq(t, "mails", len(h.mails), 0)
}

// Once a cancel is accepted, the request is over: while its answer is being sent (Respond retrying), a
// resend must not mail the subject a new code.
func TestResendRefusedAfterCancel(t *testing.T) {

	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	h.respond = func(_ activities.RespondInput, attempt int) error {
		if attempt <= 2 {
			return errors.New("outbox unavailable")
		}
		return nil
	}
	cancel := h.update(day, workflows.UpdateCancel, workflows.CancelInput{Actor: agent, Reason: "duplicate request"})
	resend := h.update(day+500*time.Millisecond, workflows.UpdateResend, workflows.ResendInput{Actor: frontDoor})

	out := h.execute()

	if !cancel.accepted || cancel.err != nil {
		t.Fatalf("cancel: %+v", cancel)
	}
	eq(t, "status", out.Status, dsrflow.StatusCanceled)
	if resend.accepted || errType(resend.refusal()) != dsrflow.ECONFLICT {
		t.Errorf("resend after cancel: accepted=%v refusal=%v, want refused %s", resend.accepted, resend.refusal(), dsrflow.ECONFLICT)
	}
	eq(t, "codes", h.codeKinds(), []string{"code"})
}

// A store outage longer than a local activity's retries stalls the request instead of losing its
// records: every transition is written once the store is back (found by the store-outage drill).
func TestStoreOutageStallsButLosesNoRecord(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyAgentAttested))
	h.storeDownUntil = start.Add(2 * time.Hour)

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	// A write retried across the outage may land twice (the store's writes are idempotent); none is lost.
	eq(t, "statuses", slices.Compact(h.statuses()), []dsrflow.Status{
		dsrflow.StatusFulfilling, dsrflow.StatusResponding, dsrflow.StatusCompleted,
	})
	eq(t, "events", firstSeen(actions(h.trail)), []string{
		"request_received", "identity_attested", "fulfilment_started", "job_completed", "responding", "request_completed",
	})
	if now := h.env.Now(); now.Before(h.storeDownUntil) {
		t.Errorf("the request completed at %v, while the store was down", now)
	}
}
