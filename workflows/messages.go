package workflows

import (
	"slices"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Message names of the request workflow. Front door and workflow share them; renaming one breaks
// running requests.
const (
	// UpdateVerified tells the workflow the subject entered the right code (checked by the front door
	// against the store, so the code never enters workflow history).
	UpdateVerified = "identity_verified"
	UpdateResend   = "resend_code"
	UpdateDecide   = "decide"
	UpdateExtend   = "extend"
	UpdateCancel   = "cancel"
	// UpdateResolveJob is a person's answer to an escalated job (revision 2): retry it, mark it
	// failed with a reason, or answer it by hand (done, not_found); or to a job that ended
	// identity_conflict: confirm the identifiers with a reason, or drop them (ResolveConfirm,
	// ResolveDrop), and it runs again.
	UpdateResolveJob = "resolve_job"
	// SignalJobResult carries an accepted job's final result from the connector callback.
	SignalJobResult = "job_result"
	QueryState      = "state"
)

// RequestInput starts a request workflow. Identity is personal data: it lives in the (encrypted)
// history and the store's detail record, never in ids, attributes or logs.
type RequestInput struct {
	ID           string
	Type         dsrflow.RequestType
	Country      string
	Jurisdiction string
	Channel      string
	// Residence is the subject's country of residence (ISO code): the supervisory authority the answer
	// names (Art. 77). Country is the handling entity's, whose working days count. Empty in requests
	// started before it was recorded: the answer then takes Country.
	Residence string `json:",omitempty"`
	// Language is the subject's language (dsrflow.Languages), as the privacy center or the agent chose it.
	Language   string `json:",omitempty"`
	ReceivedAt time.Time
	// Due and ExtendedDue are the end of the due day in the country's time zone, computed at intake
	// (internal/deadline) so that a holiday table change never alters a running workflow.
	Due, ExtendedDue time.Time
	SubjectKey       string
	Identity         dsrflow.Identity
	Verification     dsrflow.Verification
	// Verified are the identity types an eID verification confirmed (Verification is then VerifyEID),
	// sorted; empty for every other method, whose confirmed types follow from the method.
	Verified     []string `json:",omitempty"`
	AttestReason string
	Corrections  map[string]string
	Purposes     []string
	Grounds      string
	// RestrictionGround is a restriction's case of GDPR Art. 18(1) (dsrflow.RestrictionGround); the
	// answer names it. Empty in requests started before grounds were asked for.
	RestrictionGround string `json:",omitempty"`
	// DirectMarketing: an objection whose purposes include direct marketing (the controller's
	// direct_marketing purposes, checked at intake). Art. 21(3) makes it absolute: no review, and a
	// reviewer's reject is refused (ECONFLICT).
	DirectMarketing bool `json:",omitempty"`
	// Actor is who started the request (a token's name), for the audit trail.
	Actor string
	// Link is the request in the front door, for review cards and alerts.
	Link string
	// Version is the revision of the workflow's steps the request was started under: the front door
	// sets RequestVersion; zero is the original, which requests started before keep replaying. It is
	// an input rather than workflow.GetVersion because a version marker would cost every request a
	// history event and a visibility write, the very costs the revision removes.
	Version int `json:",omitempty"`
	// Policy is the deadline and verification policy the request runs under (revision 2). When the
	// starter leaves it empty the workflow snapshots dsrflow's tables into its history once, so an edit
	// of those tables never moves a running request's timers.
	Policy *RequestPolicy `json:",omitempty"`
	// Entered is when the request was entered into dsrflow, which may be long after ReceivedAt (a letter
	// entered with its date of receipt): the verification code's reminders and lapse count from the
	// later of the two, the deadline from ReceivedAt. Zero in requests started before.
	Entered time.Time `json:",omitzero"`
	// RepeatOf is the earlier completed request of the subject and type that this one repeats within
	// the repeat window, flagged for a reviewer at receipt (never refused automatically).
	RepeatOf string `json:",omitempty"`
	// Agent is the authorized agent who submitted the request for the subject (CCPA); nil when the
	// subject asked directly. Its details are personal data, like Identity.
	Agent *dsrflow.Agent `json:",omitempty"`
	// Carried is the state a previous run of the request handed on when it continued as new (revision
	// 2, carry.go); nil for a request's first run.
	Carried *RequestCarried `json:",omitempty"`
}

// RequestVersion is the revision new requests start under. Revision 1 writes less bookkeeping (a
// request's first steps in one write, the answer's two transitions inside the Respond activity, the
// status search attribute set at fulfilment and at the end only) and starts up to a hundred connector
// jobs at once instead of sixteen.
//
// Revision 2 fixes each job's escalation point when the job starts (the due date minus the margin,
// moved only by an extension); a job not finished by then is escalated once and waits for a person
// (UpdateResolveJob). Polls of an accepted job run inside one heartbeating activity. Task reminders
// and overdue escalations are finite, and the policy is snapshotted (RequestInput.Policy).
const RequestVersion = 2

// RequestPolicy holds the numbers a running request's timers depend on, copied from dsrflow's
// CodePolicy and DeadlinePolicy when the request starts (revision 2).
type RequestPolicy struct {
	// CodeReminders are sent this long after receipt while the request is unverified; LapseAfter
	// ends it as lapsed; CodeResends is how many new codes the subject may ask for.
	CodeReminders []time.Duration
	LapseAfter    time.Duration
	CodeResends   int
	// RemindBefore lists the deadline reminders before the due date.
	RemindBefore []time.Duration
	// OverdueDaily overdue escalations come a day apart after the due date, then one every
	// OverdueWeekly.
	OverdueDaily  int
	OverdueWeekly time.Duration
	// JobMargin: a job not finished by the due date minus JobMargin is escalated; a job started
	// later than that gets MinJobWindow.
	JobMargin, MinJobWindow time.Duration
	// FirstPoll and PollEvery pace the polls of an accepted job inside its await activity.
	FirstPoll, PollEvery time.Duration
	// TaskReminders is how many reminders a manual task's team gets before only the escalation is left.
	TaskReminders int
	// ContinueAfterEvents and ContinueMinRunAge bound a run's history (carry.go). Zero events, in a
	// snapshot taken before they existed, reads as the defaults for both.
	ContinueAfterEvents int
	ContinueMinRunAge   time.Duration
}

// CurrentPolicy is the policy new requests start under, read from dsrflow's tables.
func CurrentPolicy() RequestPolicy {
	return RequestPolicy{
		CodeReminders: slices.Clone(dsrflow.CodePolicy.Reminders),
		LapseAfter:    dsrflow.CodePolicy.LapseAfter,
		CodeResends:   dsrflow.CodePolicy.Resends,
		RemindBefore:  slices.Clone(dsrflow.DeadlinePolicy.RemindBefore),
		OverdueDaily:  14,
		OverdueWeekly: 7 * 24 * time.Hour,
		JobMargin:     dsrflow.DeadlinePolicy.JobMargin,
		MinJobWindow:  dsrflow.DeadlinePolicy.MinJobWindow,
		FirstPoll:     dsrflow.DeadlinePolicy.FirstPoll,
		PollEvery:     dsrflow.DeadlinePolicy.PollEvery,
		TaskReminders: 5,

		ContinueAfterEvents: ContinueAsNewAfterEvents,
		ContinueMinRunAge:   ContinueAsNewMinRunAge,
	}
}

// MemoRevision is the memo key that shows a request's revision (no personal data).
const MemoRevision = "dsr_revision"

// Actor identifies who sends an update: the front door fills it from the authenticated token.
type Actor struct {
	ID   string
	Role string
}

// VerifiedInput is UpdateVerified's argument: a code the front door checked (Method empty or
// email_code), or an eID verification (Method dsrflow.VerifyEID) with the identities it confirmed.
type VerifiedInput struct {
	Actor  Actor
	Method dsrflow.Verification `json:",omitempty"`
	// EID is what the eID verification confirmed: the national id's keyed hash (required), and the
	// name and birth date where the broker gave them. Personal data, like RequestInput.Identity.
	EID *dsrflow.Identity `json:",omitempty"`
}

// ResendInput is UpdateResend's argument.
type ResendInput struct{ Actor Actor }

// DecisionInput is UpdateDecide's argument.
type DecisionInput struct {
	Actor    Actor
	Decision string // approve | reject
	Reason   string
}

// ExtendInput is UpdateExtend's argument.
type ExtendInput struct {
	Actor  Actor
	Reason string
}

// CancelInput is UpdateCancel's argument.
type CancelInput struct {
	Actor  Actor
	Reason string
}

// Resolutions of an escalated job (ResolveJobInput.Action).
const (
	ResolveRetry    = "retry"
	ResolveFailed   = "failed"
	ResolveDone     = "done"
	ResolveNotFound = "not_found"
)

// ResolveJobInput is UpdateResolveJob's argument: a person's decision on an escalated job.
type ResolveJobInput struct {
	Actor  Actor
	JobID  string
	Action string // retry | failed | done | not_found; confirm | drop for an identity conflict
	// Reason is required for failed (the subject's answer reports it) and confirm (how the subject
	// confirmed the identifiers); a note otherwise.
	Reason string
}

// JobResult is SignalJobResult's payload: the outcome without records, which the front door stored.
type JobResult struct {
	JobID  string
	Result connectors.Result
}

// State is what QueryState and the update results report.
type State struct {
	Status   dsrflow.Status
	Due      time.Time
	Extended bool
	Verified bool
	// EID: the identity was verified by eID (dsrflow.VerifyEID).
	EID         bool `json:",omitempty"`
	Jobs        int
	JobsPending int
	// JobsEscalated are the jobs waiting for a person (UpdateResolveJob), by job id.
	JobsEscalated []string `json:",omitempty"`
}

// Outcome is the workflow's result.
type Outcome struct {
	Status dsrflow.Status
	Jobs   map[string]connectors.Status
}

// Decision values of DecisionInput: dsrflow's decision vocabulary, as the strings the update carries.
const (
	DecisionApprove = string(dsrflow.DecisionApprove)
	DecisionReject  = string(dsrflow.DecisionReject)
)

// Roles allowed to take reviewers' decisions.
var reviewerRoles = map[string]bool{"reviewer": true, "dpo": true, "admin": true}
