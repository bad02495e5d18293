package workflows

import (
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
	ReceivedAt   time.Time
	// Due and ExtendedDue are the end of the due day in the country's time zone, computed at intake
	// (internal/deadline) so that a holiday table change never alters a running workflow.
	Due, ExtendedDue time.Time
	SubjectKey       string
	Identity         dsrflow.Identity
	Verification     dsrflow.Verification
	AttestReason     string
	Corrections      map[string]string
	Purposes         []string
	Grounds          string
	// Actor is who started the request (a token's name), for the audit trail.
	Actor string
	// Link is the request in the front door, for review cards and alerts.
	Link string
	// Version is the revision of the workflow's steps the request was started under: the front door
	// sets RequestVersion; zero is the original, which requests started before keep replaying. It is
	// an input rather than workflow.GetVersion because a version marker would cost every request a
	// history event and a visibility write, the very costs the revision removes.
	Version int `json:",omitempty"`
}

// RequestVersion is the revision new requests start under. Revision 1 writes less bookkeeping (a
// request's first steps in one write, the answer's two transitions inside the Respond activity, the
// status search attribute set at fulfilment and at the end only) and starts up to a hundred connector
// jobs at once instead of sixteen.
const RequestVersion = 1

// Actor identifies who sends an update: the front door fills it from the authenticated token.
type Actor struct {
	ID   string
	Role string
}

// VerifiedInput is UpdateVerified's argument.
type VerifiedInput struct{ Actor Actor }

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

// JobResult is SignalJobResult's payload: the outcome without records, which the front door stored.
type JobResult struct {
	JobID  string
	Result connectors.Result
}

// State is what QueryState and the update results report.
type State struct {
	Status      dsrflow.Status
	Due         time.Time
	Extended    bool
	Verified    bool
	Jobs        int
	JobsPending int
}

// Outcome is the workflow's result.
type Outcome struct {
	Status dsrflow.Status
	Jobs   map[string]connectors.Status
}

// Decision values.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// Roles allowed to take reviewers' decisions.
var reviewerRoles = map[string]bool{"reviewer": true, "dpo": true, "admin": true}
