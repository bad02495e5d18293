package dsrflow

import (
	"context"
	"slices"
	"time"
)

// RequestService is what every transport calls: the JSON API, the support console and the privacy center
// (internal/web). It is implemented once, over Temporal and the store, by internal/service; handler tests
// use internal/service/fake.
//
// The caller is the Principal in ctx (WithPrincipal): each operation checks its role itself, so a console
// page and a token client meet the same checks and the same messages. Every error is an *Error: EINVALID
// (with per-field messages) for bad input, ENOTFOUND, ECONFLICT for a change the request's state refuses
// (a closed request, a second open request of the subject and type), EFORBIDDEN for a role that may not,
// EUNAUTHORIZED without a principal, EUNAVAILABLE when Temporal or the store cannot be reached.
//
// Not here, because they are not a caller's operation on requests: the front door's sessions and API
// tokens, its rate limits, the privacy center's status-link mail, and connectors' signed callbacks
// (internal/web and internal/store).
type RequestService interface {
	// CreateRequest validates and records a request (index row, subject's detail and pending start, in
	// one transaction) and starts its workflow, unless in.DeferStart. A failed start is not an error:
	// the request is recorded, and the reconciler starts it.
	CreateRequest(ctx context.Context, in NewRequest) (CreatedRequest, error)
	// StartRequest starts a recorded request's workflow from its pending start (after CreateRequest with
	// DeferStart). Failures are logged; the reconciler starts what is left.
	StartRequest(ctx context.Context, id string)
	// VerifyRequest checks a verification code (counting the attempt) and tells the workflow.
	VerifyRequest(ctx context.Context, id, code string) (RequestState, error)
	// VerifyEID verifies a request with what an eID verification confirmed about its subject (the
	// privacy center's callback, after the broker's ID token was checked): the national identity number
	// becomes its keyed hash at once, and the request is verified with method eid. EINVALID without a
	// national id. Only the privacy center has an eID verification to give: there is no API route, and
	// the API client refuses it (EFORBIDDEN), so no token holder can claim one.
	VerifyEID(ctx context.Context, id string, p EIDPerson) (RequestState, error)
	// ResendCode sends the subject a new code.
	ResendCode(ctx context.Context, id string) (RequestState, error)
	// Decide decides a pending review: an objection's decision, or a vote on an authority disclosure.
	Decide(ctx context.Context, id string, d ReviewDecision) (Decided, error)
	// VoteDisclosure is Decide for disclosures only: ENOTFOUND for any other request.
	VoteDisclosure(ctx context.Context, id string, d ReviewDecision) (Decided, error)
	// ExtendRequest extends the deadline once, with a reason the subject is told.
	ExtendRequest(ctx context.Context, id, reason string) (RequestState, error)
	// CancelRequest cancels an open request.
	CancelRequest(ctx context.Context, id, reason string) (RequestState, error)
	// RefuseRequest refuses an open request on a ground (Refusal), a reviewer's or the DPO's decision at
	// any stage before the answer: EINVALID naming the field for a bad ground or an empty reason,
	// ECONFLICT once the request is answered or closed, EFORBIDDEN for agents.
	RefuseRequest(ctx context.Context, id string, r Refusal) (RequestState, error)
	// LiftRestriction lifts a fulfilled restriction (GDPR Art. 18(3)): the subject is told first, then
	// the connectors lift it. EINVALID naming reason when it is empty; ECONFLICT unless the request is
	// a completed restriction; a second lift answers Already. Agents and the DPO.
	LiftRestriction(ctx context.Context, id string, l RestrictionLift) (RestrictionLifted, error)
	// ResolveJob is a person's decision on an escalated connector job.
	ResolveJob(ctx context.Context, id string, r JobResolution) (RequestState, error)
	// GetRequest is a request with its jobs, decisions and audit trail.
	GetRequest(ctx context.Context, id string) (RequestView, error)
	// ListRequests lists requests; a search by email is for agents (EFORBIDDEN for reviewers).
	ListRequests(ctx context.Context, q RequestQuery) ([]SummaryView, error)
	// RequestMessages are the messages queued for the subject of a request, without their text.
	RequestMessages(ctx context.Context, id string) ([]MessageView, error)
	// RequestExport is a completed access or portability request's export.
	RequestExport(ctx context.Context, id string) (Export, error)
	// RecordGPC honours a Global Privacy Control signal (Sec-GPC: 1) sent with a visit to a request's
	// status page: when the request's subject has proven the address (identity_verified), it records an
	// opt-out of sale and sharing for them, a do_not_sell request under the CCPA, once, audited on both
	// requests (gpc_opt_out). An unverified subject gets Identified false and nothing is recorded.
	RecordGPC(ctx context.Context, id string) (GPCOptOut, error)
	// DownloadExport is the subject's download of their export, through the signed link in their answer
	// (checked by the caller), audited as the subject's: ENOTFOUND, with one message, for an export that
	// does not exist, is shredded or has expired, so the refusal tells nothing about which requests exist.
	DownloadExport(ctx context.Context, id string) (Export, error)
	// RequestTasks are a request's manual tasks, without the subject's identity.
	RequestTasks(ctx context.Context, id string) ([]RequestTaskView, error)
	// Task is one manual task with the subject's identity.
	Task(ctx context.Context, id string) (TaskView, error)
	// AnswerTask records a team's answer to a manual task.
	AnswerTask(ctx context.Context, id string, a TaskAnswer) (TaskAnswered, error)
	// OpenTasks are the manual tasks waiting for an answer across open requests (the console's tasks
	// page), earliest due first, without the subject's identity. EINVALID for an unknown view.
	OpenTasks(ctx context.Context, q TaskQuery) ([]TaskListItem, error)
	// CreateDisclosure validates an authority's request and starts its workflow.
	CreateDisclosure(ctx context.Context, in NewDisclosure) (CreatedDisclosure, error)
	// Reviews are the pending decisions, objections and disclosures.
	Reviews(ctx context.Context) ([]ReviewView, error)
	// DisclosureRegister is one year of the disclosure register.
	DisclosureRegister(ctx context.Context, year int) ([]RegisterRow, error)
	// DisclosureOrder is the copy of the authority's order kept (encrypted) with a disclosure, for the
	// DPO; every read is audited on the disclosure (disclosure_order_read). ENOTFOUND when no copy was
	// kept (only a hash, or no order), EGONE once the request is shredded.
	DisclosureOrder(ctx context.Context, id string) (OrderCopy, error)
	// TransparencyReport is one calendar year of authority requests by the authority's country, with
	// the routed items to date per customer, for the DPO: EINVALID for a year outside 1970–9999.
	TransparencyReport(ctx context.Context, year int) (TransparencyReport, error)
	// RequestStats are a calendar year's statistics of data-subject requests by period, type and
	// country, for the DPO: EINVALID naming the field for a year outside 1970–9999 or a period other
	// than month or quarter.
	RequestStats(ctx context.Context, q StatsQuery) (RequestStats, error)
	// Dashboard is the state of the request book, with no personal data, for every role.
	Dashboard(ctx context.Context) (Dashboard, error)
	// Outbox is the latest messages with their text, for admins only.
	Outbox(ctx context.Context, q OutboxQuery) ([]OutboxMessage, error)
	// Suppression is the marketing suppression list's entry for an address's hash: ENOTFOUND when the
	// address may be mailed, EINVALID for a value that is not such a hash.
	Suppression(ctx context.Context, hash string) (SuppressionEntry, error)
	// AssignRequest sets who handles a request (a principal id, "me" for the caller, "" for nobody):
	// EINVALID naming the field "assignee" for a malformed id, ECONFLICT for a closed request.
	AssignRequest(ctx context.Context, id, assignee string) (Assigned, error)
	// AddNote adds the team's internal note to a request, kept encrypted and audited as note_added
	// (without its text): EINVALID naming the field "text" for an empty or too long text.
	AddNote(ctx context.Context, id, text string) (NoteView, error)
	// ListRouted lists the routed items of a request, or every one for "" (issue 22).
	ListRouted(ctx context.Context, requestID string) ([]RoutedItem, error)
	// InstructRouted records a customer's instruction on a routed item and hands it to the item's
	// workflow: EINVALID naming the field (instruction, action, reason), ENOTFOUND, ECONFLICT once the
	// item is closed.
	InstructRouted(ctx context.Context, id string, in RoutedInstructionInput) (RoutedItem, error)
}

// Roles of the people and tokens that call the service.
const (
	RoleAgent    = "agent"
	RoleReviewer = "reviewer"
	RoleDPO      = "dpo"
	RoleAdmin    = "admin"
)

// Roles are every role a token, a session or a single sign-on claim may carry: the one list the
// store, the configuration and the workflows check against.
var Roles = []string{RoleAgent, RoleReviewer, RoleDPO, RoleAdmin}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }

// Principal is who made a call. ID is the identity that counts (roles, reviewer groups, one vote per
// person) and is written to the audit trail; each kind of identity has its own space, so no name in one
// can stand for another: "token:NAME" (an API token), "oidc:SUB" (single sign-on, the provider's stable
// subject id), "slack:UID" (a Slack member), "connector:ID" (a connector's signed call), "dev" (the dev
// stack's token).
type Principal struct {
	ID   string
	Role string
	// Name is how a person is shown where ID alone does not say who it is (single sign-on's
	// preferred_username); it never decides anything.
	Name string
}

// Label is how the console shows the principal: the name with the identity that counts.
func (p Principal) Label() string {
	if p.Name == "" {
		return p.ID
	}
	return p.Name + " [" + p.ID + "]"
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p, the caller of the service.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom is the caller carried by ctx; ok is false when there is none.
func PrincipalFrom(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// NewRequest is a data subject's request as an agent or the privacy center takes it in; the body of
// POST /api/v1/requests.
type NewRequest struct {
	Type         string            `json:"type"`
	Email        string            `json:"email"`
	Name         string            `json:"name,omitempty"`
	Phone        string            `json:"phone,omitempty"`
	CustomerIDs  map[string]string `json:"customer_ids,omitempty"`
	Country      string            `json:"country,omitempty"`
	Jurisdiction string            `json:"jurisdiction,omitempty"`
	// Residence is the subject's country of residence (ISO 3166 alpha-2): the supervisory authority
	// they are told about. Empty: Country. Country is the handling entity's, for the working days.
	Residence string `json:"residence,omitempty"`
	// Language is the subject's language, one of Languages; empty: DefaultLanguage.
	Language string `json:"language,omitempty"`
	Received string `json:"received,omitempty"`
	Channel  string `json:"channel,omitempty"`
	Attest   string `json:"attest,omitempty"`
	// Verification asks for a verification method: email_code or eid (VerifyEID, when the front door
	// has eID configured). Empty: the right's default, or eid for a type the controller marks sensitive.
	// An agent's attestation is Attest, which overrides it.
	Verification string            `json:"verification,omitempty"`
	Corrections  map[string]string `json:"corrections,omitempty"`
	Purposes     []string          `json:"purposes,omitempty"`
	Grounds      string            `json:"grounds,omitempty"`
	// Agent is the authorized agent who submits the request for the subject (CCPA only: Cal. Civ. Code
	// §1798.135(c); 11 CCR 7063). The subject still verifies the request: the code goes to Email.
	Agent *Agent `json:"agent,omitempty"`
	// Ground is a restriction's case of GDPR Art. 18(1) (RestrictionGround).
	Ground string `json:"ground,omitempty"`
	// DeferStart records the request without starting its workflow; the caller starts it with
	// StartRequest. The privacy center does, so that its answer takes the same time whatever the
	// address's state. Never set from a body.
	DeferStart bool `json:"-"`
}

// Agent is an authorized agent acting for a consumer (11 CCR 7063(a)): who they are and the SHA-256 of
// the permission the consumer signed (hex), which the agent shows and dsrflow keeps as evidence. Name
// and Email are personal data, kept encrypted with the request's.
type Agent struct {
	Name             string `json:"name"`
	Email            string `json:"email,omitempty"`
	PermissionSHA256 string `json:"permission_sha256"`
}

// CreatedRequest is the answer to CreateRequest.
type CreatedRequest struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Type         string `json:"type"`
	Due          string `json:"due"`
	ExtendedDue  string `json:"extended_due"`
	Verification string `json:"verification"`
}

// RequestState is a request's state after a change.
type RequestState struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Due      string `json:"due"`
	Extended bool   `json:"extended"`
	Verified bool   `json:"verified"`
	// EID: the identity was verified by eID.
	EID bool `json:"eid,omitempty"`
}

// ReviewDecision is a reviewer's decision on a pending review: approve or reject an objection; approve,
// reject or narrow (to Scope) a disclosure. Key, the caller's idempotency key, makes a retried vote count
// once.
type ReviewDecision struct {
	Decision string   `json:"decision"`
	Reason   string   `json:"reason"`
	Scope    []string `json:"scope,omitempty"`
	Key      string   `json:"-"`
}

// Decided is the answer to a decision: the objection's request state, or the disclosure vote's outcome.
type Decided struct {
	Request *RequestState
	Vote    *VoteAccepted
}

// VoteAccepted is an accepted vote on a disclosure and the review's state after it.
type VoteAccepted struct {
	ID       string `json:"id"`
	Accepted bool   `json:"accepted"`
	State    string `json:"state"`
}

// JobResolution is a person's decision on an escalated job: Action is retry, failed, done or not_found.
type JobResolution struct {
	JobID  string
	Action string
	Reason string
}

// RequestView is a request with its jobs, decisions and audit trail (GET /api/v1/requests/{id}).
type RequestView struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Status       string `json:"status"`
	Country      string `json:"country"`
	Jurisdiction string `json:"jurisdiction"`
	// Residence and Language are the subject's, as recorded at intake; empty for requests from before.
	Residence   string         `json:"residence,omitempty"`
	Language    string         `json:"language,omitempty"`
	Received    time.Time      `json:"received"`
	Due         string         `json:"due"`
	ExtendedDue string         `json:"extended_due,omitempty"`
	Closed      *time.Time     `json:"closed,omitempty"`
	Jobs        []JobView      `json:"jobs"`
	Decisions   []DecisionView `json:"decisions"`
	Events      []EventView    `json:"events"`

	// RepeatOf is the earlier completed request of the same subject and type that this one repeats
	// within the repeat window: flagged at intake for a reviewer, never refused automatically.
	RepeatOf string `json:"repeat_of,omitempty"`

	Assignee string `json:"assignee,omitempty"`
	// Subject (masked), Channel, Verification and Notes are for agents and the DPO; reviewers see cases,
	// not people.
	Subject      *SubjectView `json:"subject,omitempty"`
	Channel      string       `json:"channel,omitempty"`
	Verification string       `json:"verification,omitempty"`
	Notes        []NoteView   `json:"notes,omitempty"`
	// Objection is what a reviewer decides on an objection: its grounds, purposes and the systems
	// involved.
	Objection *ObjectionView `json:"objection,omitempty"`
	// Agent is the authorized agent who submitted the request, by name and permission hash (their
	// address is used only for the copy of the acknowledgement); nil when the subject asked directly.
	Agent *Agent `json:"agent,omitempty"`
	// RestrictionLifted is when a restriction was lifted (audit event restriction_lifted).
	RestrictionLifted *time.Time `json:"restriction_lifted,omitempty"`
}

// JobView is one connector job of a request.
type JobView struct {
	Connector  string      `json:"connector"`
	Owner      string      `json:"owner"`
	Role       string      `json:"role"`
	Action     string      `json:"action"`
	Status     string      `json:"status"`
	Detail     string      `json:"detail,omitempty"`
	Attempts   int         `json:"attempts,omitempty"`
	Exemptions []Exemption `json:"exemptions,omitempty"`
}

// Exemption is data a connector kept with its legal basis (Art. 17(3)), as the connector protocol
// reports it (connectors.Exemption).
type Exemption struct {
	Dataset    string     `json:"dataset,omitempty"`
	Basis      string     `json:"basis"`
	Detail     string     `json:"detail"`
	Categories []string   `json:"categories,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
}

// DecisionView is one reviewer's decision.
type DecisionView struct {
	Reviewer string    `json:"reviewer"`
	Decision string    `json:"decision"`
	Reason   string    `json:"reason"`
	Time     time.Time `json:"time"`
}

// EventView is one audit event.
type EventView struct {
	Time   time.Time         `json:"time"`
	Action string            `json:"action"`
	Actor  string            `json:"actor"`
	Reason string            `json:"reason,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
}

// RequestQuery filters ListRequests. Zero values do not filter; Limit 0 is 100.
type RequestQuery struct {
	Status, Type, Country string
	Open, Overdue         bool
	// DueWithin, when set, lists open requests due within it from now: days ("7d") or a duration ("36h").
	DueWithin string
	Limit     int
	// Email finds a person's requests, by the keyed hash of the address.
	Email string
	// Assignee lists the requests assigned to a principal id; "me" is the caller, "none" nobody.
	Assignee string
	// Closed lists only closed requests (Open only open ones; neither both).
	Closed bool
	// Desc sorts by due date, latest first; Offset skips that many rows (pages).
	Desc   bool
	Offset int
}

// SummaryView is one row of a list of requests.
type SummaryView struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Country  string    `json:"country"`
	Received time.Time `json:"received"`
	Due      string    `json:"due"`
	DaysLeft int       `json:"days_left"`
	// Open is false once the request is closed: its days no longer count.
	Open     bool   `json:"open"`
	Assignee string `json:"assignee,omitempty"`
	// Subject is the subject masked (MaskEmail, MaskName), for agents and the DPO only; nil for reviewers.
	Subject *SubjectView `json:"subject,omitempty"`
}

// MessageView is one message queued for the subject of a request: what and when, not the text.
type MessageView struct {
	Kind    string     `json:"kind"`
	Subject string     `json:"subject"`
	Created time.Time  `json:"created"`
	Sent    *time.Time `json:"sent,omitempty"`
}

// Export is the answer's data of an access or portability request: a zip.
type Export struct {
	RequestID string
	Data      []byte
	ExpiresAt time.Time
}

// RequestTaskView is one manual task of a request: what the team must do and its answer, without the
// subject's identity (TaskView has it).
type RequestTaskView struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"`
	JobID        string     `json:"job_id,omitempty"`
	Connector    string     `json:"connector"`
	Owner        string     `json:"owner"`
	Action       string     `json:"action"`
	Instructions string     `json:"instructions"`
	Status       string     `json:"status"`
	By           string     `json:"by,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Created      time.Time  `json:"created"`
	Answered     *time.Time `json:"answered,omitempty"`
}

// TaskView is a manual connector's task (kind "manual"), or a job that ended identity_conflict waiting
// for an agent's confirm or drop (kind "identity_conflict", resolved through ResolveJob), with the
// subject's identity, for an authenticated agent (the task's card never shows it). Verified and
// Unverified name the identity types of Identity ("email", "customer_id:billing"): only verified ones
// select records; an unverified one may only confirm a record the verified ones found.
type TaskView struct {
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	JobID        string            `json:"job_id,omitempty"`
	RequestID    string            `json:"request_id"`
	Connector    string            `json:"connector"`
	Owner        string            `json:"owner"`
	Action       string            `json:"action"`
	Instructions string            `json:"instructions"`
	Identity     Identity          `json:"identity"`
	Verified     []string          `json:"verified"`
	Unverified   []string          `json:"unverified"`
	Corrections  map[string]string `json:"corrections,omitempty"`
	Purposes     []string          `json:"purposes,omitempty"`
	Categories   []string          `json:"categories,omitempty"`
	// Holds are the data categories the task's connector declares: those a record the team attaches
	// may carry (TaskAnswer.Records).
	Holds    []string   `json:"holds,omitempty"`
	Due      time.Time  `json:"due"`
	Created  time.Time  `json:"created"`
	Status   string     `json:"status"`
	By       string     `json:"by,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	Answered *time.Time `json:"answered,omitempty"`
	// Records is how many records the team attached to its answer.
	Records int `json:"records,omitempty"`
}

// Task views of OpenTasks.
const (
	TasksTeam    = "team"    // every open task
	TasksMine    = "mine"    // the open tasks of requests assigned to the caller
	TasksOverdue = "overdue" // the open tasks past their due date
)

// TaskQuery selects OpenTasks: View is TasksTeam (the default when empty), TasksMine or TasksOverdue.
type TaskQuery struct {
	View string
}

// TaskListItem is one open task on the tasks page: the task as a request lists it, with its request's
// type, assignee and due date.
type TaskListItem struct {
	RequestTaskView
	RequestID   string    `json:"request_id"`
	RequestType string    `json:"request_type"`
	Assignee    string    `json:"assignee,omitempty"`
	Due         time.Time `json:"due"`
	Overdue     bool      `json:"overdue"`
}

// TaskAnswer is a team's answer to a manual task: done, nothing_found, or cannot with a reason. Key, the
// caller's idempotency key, makes a retried answer count once.
type TaskAnswer struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	// Records are what the team found, for an access (or portability) task answered done: they reach
	// the request's results as the connector's answer would (the export, the answer mail).
	Records []TaskRecord `json:"records,omitempty"`
	Key     string       `json:"-"`
}

// TaskRecord is one record a team found, in the shape of protocol v1's record (connectors.Record):
// a dataset, its fields' values as text, and each field's data category, one of those the task's
// connector declares.
type TaskRecord struct {
	Dataset    string            `json:"dataset"`
	Fields     map[string]string `json:"fields"`
	Categories map[string]string `json:"categories"`
}

// TaskAnswered is an accepted answer and the task's state after it.
type TaskAnswered struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	State  string `json:"state"`
}

// NewDisclosure is an authority's request for personal data (POST /api/v1/disclosures).
type NewDisclosure struct {
	Authority  string   `json:"authority"`
	Country    string   `json:"country"`
	CaseRef    string   `json:"case_ref"`
	LegalBasis string   `json:"legal_basis"`
	CourtOrder string   `json:"court_order,omitempty"`
	Court      string   `json:"court,omitempty"`
	OrderDate  string   `json:"order_date,omitempty"`
	Emails     []string `json:"emails"`
	Categories []string `json:"categories"`
	GagUntil   string   `json:"gag_until,omitempty"`
	// Kind is police (the default), supervisory_authority, statutory_order or vital_interest; Statute
	// names the law of a statutory_order.
	Kind    string `json:"kind,omitempty"`
	Statute string `json:"statute,omitempty"`
	// OrderDocument is the order itself, base64: dsrflow keeps its SHA-256 (and an encrypted copy).
	// OrderSHA256 is the hex SHA-256 of an order document kept elsewhere; with both they must agree.
	OrderDocument string `json:"order_document,omitempty"`
	OrderSHA256   string `json:"order_sha256,omitempty"`
	// Language is the language the subjects are told in (Languages); empty: the language of the
	// authority's country (CountryLanguage).
	Language string `json:"language,omitempty"`
}

// CreatedDisclosure is the answer to CreateDisclosure; Reply is the refusal sent without a court order.
type CreatedDisclosure struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Reply  string `json:"reply,omitempty"`
}

// ReviewView is one pending decision. It names cases, never subjects.
type ReviewView struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Country   string    `json:"country"`
	Received  time.Time `json:"received"`
	Due       string    `json:"due"`
	Approvals int       `json:"approvals"`
	// Disclosures only.
	Authority  string   `json:"authority,omitempty"`
	CaseRef    string   `json:"case_ref,omitempty"`
	CourtOrder string   `json:"court_order,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Subjects   int      `json:"subjects,omitempty"`
	// DisclosureKind and Basis: what kind of authority asks and on which basis.
	DisclosureKind string `json:"disclosure_kind,omitempty"`
	Basis          string `json:"basis,omitempty"`
}

// GPCOptOut is what a Global Privacy Control signal recorded for a request's subject.
type GPCOptOut struct {
	// Identified is true when the subject proved the address of the request: only then is anything
	// recorded.
	Identified bool
	// OptOutID is the do_not_sell request that carries the opt-out (new, open or recorded earlier for
	// this request's signal).
	OptOutID string
}

// OrderCopy is an authority's order document as it was received, with its hex SHA-256 (the register's
// order_sha256).
type OrderCopy struct {
	RequestID string
	Document  []byte
	SHA256    string
}

// RegisterRow is one row of the disclosure register. It names the authority, the case and what was
// disclosed, never the subjects.
type RegisterRow struct {
	ID                  string     `json:"id"`
	Authority           string     `json:"authority"`
	Country             string     `json:"country"`
	CaseRef             string     `json:"case_ref"`
	LegalBasis          string     `json:"legal_basis"`
	CourtOrder          string     `json:"court_order,omitempty"`
	Court               string     `json:"court,omitempty"`
	OrderDate           string     `json:"order_date,omitempty"`
	Kind                string     `json:"kind"`
	Statute             string     `json:"statute,omitempty"`
	OrderSHA256         string     `json:"order_sha256,omitempty"`
	CategoriesRequested []string   `json:"categories_requested"`
	CategoriesDisclosed []string   `json:"categories_disclosed"`
	Subjects            int        `json:"subjects"`
	SubjectsDisclosed   int        `json:"subjects_disclosed"`
	Outcome             string     `json:"outcome"`
	Approvers           []string   `json:"approvers"`
	GagUntil            string     `json:"gag_until,omitempty"`
	Received            time.Time  `json:"received"`
	Decided             *time.Time `json:"decided,omitempty"`
	Disclosed           *time.Time `json:"disclosed,omitempty"`
}

// EIDPerson is what an eID verification confirmed about a request's subject (RequestService.VerifyEID):
// the national identity number in clear, the name and the birth date (YYYY-MM-DD). The number is hashed
// by the service and never kept, logged or sent: it has no JSON form.
type EIDPerson struct {
	NationalID string `json:"-"`
	Name       string `json:"-"`
	Birthdate  string `json:"-"`
}
