package act

import (
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Transition records a status change: the request's index row and its audit event, in one call.
type Transition struct {
	Request dsrflow.Request
	Event   dsrflow.AuditEvent
	// Earlier are the events of steps taken since the last write, in order, written before Event: a
	// request's first steps go out in one write (RequestInput.Version 1).
	Earlier []dsrflow.AuditEvent `json:",omitempty"`
}

// ConnectorRef names a connector without its secret, as workflows see it.
type ConnectorRef struct {
	ID    string
	Owner string
	Role  string
	// Kind, and a manual connector's Channel and Instructions: a manual job becomes a task for a team.
	Kind         string `json:",omitempty"`
	Channel      string `json:",omitempty"`
	Instructions string `json:",omitempty"`
}

// SelectInput asks which connectors a request's jobs go to.
type SelectInput struct {
	Action   dsrflow.Action
	Identity dsrflow.Identity
	// Partners selects the recipients to notify (Art. 19) instead of the subsidiaries: every partner,
	// or with HeldBy set (RecipientsTracked) only the partners those subsidiaries share data with.
	Partners bool
	// RecipientsTracked limits Partners to the recipients of HeldBy: the connectors whose jobs of this
	// request found the subject. Empty HeldBy then selects nobody.
	RecipientsTracked bool     `json:",omitempty"`
	HeldBy            []string `json:",omitempty"`
	// Categories, when set, keeps only the subsidiaries holding one of these data categories, or
	// declaring none (authority disclosures: the job itself is limited to the categories too).
	Categories []string
}

// JobOutcome is a job's result as the workflow keeps it: records stay in the store.
type JobOutcome struct {
	Connector  ConnectorRef
	JobID      string
	Action     dsrflow.Action
	Status     connectors.Status
	Detail     string
	Exemptions []connectors.Exemption
	Counts     map[string]int
	// Datasets are the per-dataset counts (and truncation) when the connector gave them.
	Datasets []connectors.DatasetResult
	// Items are the per-item outcomes (fields corrected, purposes withdrawn) when the connector gave them.
	Items    []connectors.ItemResult `json:",omitempty"`
	Attempts int
	// Recorded is set when the connector activity already stored the final outcome and its audit
	// event; the workflow records it itself otherwise (RecordJob).
	// ToSubject: Detail was written for the subject, a person's reason for marking the job failed
	// (`starter job resolve --failed REASON`), which the answer gives; a connector's own failure text
	// is for staff only.
	ToSubject bool `json:",omitempty"`
	Recorded  bool `json:",omitempty"`
	// RecordsFrom is the store key of the records a team attached to its manual access task (the front
	// door stored them there): RecordJob files them under JobID before it records the outcome.
	RecordsFrom string `json:",omitempty"`
}

// AwaitInput asks for an accepted job's result until its escalation point (Connectors.AwaitResult).
type AwaitInput struct {
	Job connectors.Job
	// Until is the job's escalation point: the activity answers "not final" once it passes.
	Until time.Time
	// The waits between polls double from FirstPoll up to PollEvery.
	FirstPoll, PollEvery time.Duration
}

// EIDMailPrefix prefixes IssueCodeInput.Kind for a request verified by eID (dsrflow.VerifyEID).
const EIDMailPrefix = "eid_"

// IssueCodeInput asks for a verification code to be made and mailed.
type IssueCodeInput struct {
	RequestID string
	To        string
	// Kind is "code" for the first, "resend" for a subject's request, "reminder" for a timer's. With
	// EIDMailPrefix ("eid_code", "eid_reminder") no code is made: the mail links to the status page,
	// where a request that takes an eID verification is verified.
	Kind string
	// Seq makes each issue's mail unique and idempotent under retries.
	Seq int
}

// Mail is one message to the subject, through the outbox.
type Mail struct {
	ID        string
	RequestID string
	Kind      string
	To        string
	Subject   string
	Text      string
	// Extension, when set, asks the activity to write the extension notice in the subject's language
	// (answer.ExtensionNotice) in place of Subject and Text, which stay as the English fallback.
	Extension *Extension `json:",omitempty"`
	// Disclosure, when set, asks the activity to write the notice of an authority disclosure in the
	// subject's language (answer.DisclosureNotice) in place of Subject and Text, likewise.
	Disclosure *DisclosureNotice `json:",omitempty"`
}

// DisclosureNotice is what a subject is told of a disclosure of their data to an authority: on which
// basis (the kind, with the order or the statute), to whom, in which case, and the categories of their
// own data that went out; in the language the disclosure names.
type DisclosureNotice struct {
	Language                     string
	Kind                         dsrflow.DisclosureKind
	Authority, CaseRef, Statute  string
	CourtOrder, Court, OrderDate string
	Categories                   []string
}

// Extension is what the notice of an extended deadline (GDPR Art. 12(3)) says: the new due date and
// the reason, in the subject's language.
type Extension struct {
	Language string
	Due      time.Time
	Reason   string
}

// RespondInput asks for the answer to be composed, the export built (access, portability) and the
// message queued.
type RespondInput struct {
	RequestID string
	Type      dsrflow.RequestType
	Country   string
	// Residence picks the supervisory authority the answer names; empty: Country.
	Residence   string `json:",omitempty"`
	Status      dsrflow.Status
	Reason      string
	To          string
	Received    time.Time
	Due         time.Time
	Closed      time.Time
	Corrections map[string]string
	Purposes    []string
	Outcomes    []JobOutcome
	// Begin, when set, is recorded before the answer is composed (the move to responding) and End
	// after it is queued (the final status): one call instead of three (RequestInput.Version 1).
	Begin *Transition `json:",omitempty"`
	End   *Transition `json:",omitempty"`

	// Routed are the routed items (issue 22): the answer names each customer as the controller of data
	// the group holds for it, and says the request was forwarded.
	Routed []RoutedRef `json:",omitempty"`

	// Ground is a refused request's dsrflow.RefusalGround; "" otherwise.
	Ground string `json:",omitempty"`
	// RestrictionGround is a restriction's case of GDPR Art. 18(1); "" otherwise.
	RestrictionGround string `json:",omitempty"`
}

// LiftNoticeInput asks for the notice that a restriction is about to be lifted (GDPR Art. 18(3)), or
// whether it has gone out.
type LiftNoticeInput struct {
	RequestID string
	Country   string
	To        string
	Reason    string
}

// AcknowledgeInput asks for the confirmation of receipt of a CCPA request (11 CCR 7021(a)): to the
// subject at To, and a copy to the authorized agent who submitted it, if one did (read from the store).
type AcknowledgeInput struct {
	RequestID    string
	Type         dsrflow.RequestType
	Country      string
	To           string
	Received     time.Time
	Due          time.Time
	Verification dsrflow.Verification
}

// AcknowledgeResult says what was queued: AgentCopy when the agent got a copy.
type AcknowledgeResult struct {
	AgentCopy bool
}

// BundleInput asks for the authority's bundle: the access jobs' records, cut to the approved categories.
type BundleInput struct {
	RequestID  string
	Authority  string
	CaseRef    string
	CourtOrder string
	Categories []string
	Outcomes   []JobOutcome
	// Subjects are the subjects the order names, in its order: subject n (from 1) is labelled Sn in the
	// bundle, and the key from label to subject is kept sealed in the register, never in the bundle.
	Subjects []dsrflow.Identity
}

// BundleOutcome says what the bundle holds, without the data.
type BundleOutcome struct {
	Records    int
	Categories []string
	// SubjectCategories holds, by subject number (from 1), the categories of that subject's data in the
	// bundle: the subjects whose data was disclosed, and what of it.
	SubjectCategories map[int][]string
}

// DPONotice tells the data protection officer of an authority request at once (a vital_interest
// emergency). It names the case, never the subjects.
type DPONotice struct {
	RequestID string
	Subject   string
	Text      string
}

// ShredInput starts a record-retention pass.
type ShredInput struct {
	// Now is the time the retention period is counted back from.
	Now time.Time
}

// ShredResult is what a record-retention pass did.
type ShredResult struct {
	// Cutoff: requests closed before it had their personal data shredded.
	Cutoff    time.Time
	Retention string
	Shredded  int
}

// RetentionTarget is a connector a retention sweep purges, with the rules it declares.
type RetentionTarget struct {
	Connector ConnectorRef
	Rules     []connectors.RetentionRule
}

// PostCardInput asks for a review's card to be posted.
type PostCardInput struct {
	RequestID string
	Card      dsrflow.Card
}

// UpdateCardInput asks for a posted card to be updated.
type UpdateCardInput struct {
	RequestID string
	Ref       dsrflow.CardRef
	Card      dsrflow.Card
}

// AlertInput asks for an alert about a request.
type AlertInput struct {
	RequestID string
	Alert     dsrflow.Alert
}

// WorkingDaysInput asks for the instant Days working days after From in Country.
type WorkingDaysInput struct {
	From    time.Time
	Days    int
	Country string
}

// SuppressInput puts a request's subject on the marketing suppression list (Suppression.Suppress):
// Reason is the request type that put them there (marketing_optout, erasure, objection).
type SuppressInput struct {
	RequestID string
	Email     string
	Reason    string
}
