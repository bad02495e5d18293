package dsrflow

import "time"

// The records below are what the workflows hand to the store: a request's row in the index, its audit
// events, reviewers' decisions and the disclosure register. They live here, not in internal/store, so
// that the workflow package names them without linking a database driver; the store keeps aliases.

// Request is a request's row in the index: what lists and searches show. It holds no personal data but
// the subject key.
type Request struct {
	ID                    string
	Type                  RequestType
	Status                Status
	Country, Jurisdiction string
	ReceivedAt, DueAt     time.Time
	ExtendedDueAt         *time.Time
	ClosedAt              *time.Time
	UpdatedAt             time.Time
	// SubjectKey is a keyed hash of the subject's normalised email, computed by the caller, so that the
	// store can find a subject's open request without seeing the address.
	SubjectKey string
	// Residence is the subject's country of residence and Language their language, both set at intake;
	// a later write that leaves them empty keeps the stored ones. "" for requests from before.
	Residence, Language string
	// Assignee is who on the team handles the request, a principal id ("" for nobody); read by
	// GetRequest and ListRequests, written only by SetAssignee (PutRequest keeps it).
	Assignee string
}

// AuditEvent is one entry of the append-only audit log. Events form a hash chain: each Hash covers the
// event and the previous event's Hash, so changing, removing or inserting a row breaks the chain from
// that point on. Events hold no personal data.
type AuditEvent struct {
	Seq       int64
	At        time.Time
	RequestID string
	Action    string
	Actor     string
	// Reason is why, in words. A person's reason on a request (an actor other than "", "system" or
	// "connector:...") is free text that may quote the subject: the store keeps it encrypted under the
	// request's data key (SealedReason), and it reads back empty once the request is shredded.
	Reason string
	// SealedReason is the stored, encrypted form of a person's Reason, set by the store; the hash
	// covers it instead of Reason, so the chain verifies without keys and after shredding.
	SealedReason string
	Detail       map[string]string // small, non-personal details: counts, connector ids
	// Key is an optional idempotency key: appending again with the same non-empty Key returns the first
	// event and adds nothing, so retried activities log once.
	Key      string
	PrevHash string // hex SHA-256 of the previous event; "" for the first
	Hash     string // hex SHA-256 of this event
}

// Decision is a reviewer's verdict on a request: the one vocabulary of the decide update, the decisions
// the store keeps and the votes that decide a disclosure (VoteNarrow is recorded as an approval).
type Decision string

// Decisions.
const (
	DecisionApprove Decision = "approve"
	DecisionReject  Decision = "reject"
)

// Valid reports whether d is a known decision.
func (d Decision) Valid() bool { return d == DecisionApprove || d == DecisionReject }

// DecisionRecord is a reviewer's vote on a request (an objection, or an authority's disclosure). Reason
// is free text and may hold personal data: it is never put into errors or logs, and rests encrypted
// under the request's data key.
type DecisionRecord struct {
	RequestID, Reviewer string
	Decision            Decision
	Reason              string
	At                  time.Time
}

// DisclosureStatus is what came of an authority's request, as the disclosure register and the
// transparency report count it.
type DisclosureStatus string

// Disclosure statuses.
const (
	DisclosureInReview        DisclosureStatus = "in_review"
	DisclosureRefusedNoOrder  DisclosureStatus = "refused_no_order"
	DisclosureRefusedOnReview DisclosureStatus = "refused_on_review"
	DisclosureComplied        DisclosureStatus = "complied"
	// DisclosureApproved: reviewers approved it and its data is being gathered; the register shows the
	// approvals as soon as they are given.
	DisclosureApproved DisclosureStatus = "approved"
	// DisclosureCanceled: an operator canceled it in Temporal before anything was disclosed.
	DisclosureCanceled DisclosureStatus = "canceled"
)

// DisclosureKind is what kind of authority asks, and so on which basis (README: Authority kinds).
type DisclosureKind string

// Authority request kinds.
const (
	// KindPolice is a police or prosecution request: refused without a court order.
	KindPolice DisclosureKind = "police"
	// KindSupervisoryAuthority is a data protection authority's order (GDPR Art. 58(1)(a) and (e)).
	KindSupervisoryAuthority DisclosureKind = "supervisory_authority"
	// KindStatutoryOrder is an authority's order under a statute that compels disclosure (a tax
	// authority's, say); it names the statute.
	KindStatutoryOrder DisclosureKind = "statutory_order"
	// KindVitalInterest is an emergency: a threat to someone's life (GDPR Art. 6(1)(d)). The DPO is told
	// at once and the review is due within hours.
	KindVitalInterest DisclosureKind = "vital_interest"
)

// DisclosureKinds are the kinds in the order the README lists them.
var DisclosureKinds = []DisclosureKind{KindPolice, KindSupervisoryAuthority, KindStatutoryOrder, KindVitalInterest}

// Or is k, or police when k is empty (requests from before kinds existed).
func (k DisclosureKind) Or() DisclosureKind {
	if k == "" {
		return KindPolice
	}
	return k
}

// Valid reports whether k is a known kind (empty is police).
func (k DisclosureKind) Valid() bool {
	for _, v := range DisclosureKinds {
		if k.Or() == v {
			return true
		}
	}
	return false
}

// Basis is the kind and the basis a reviewer weighs, as the review card and the console show it:
// statute is the law a statutory order names.
func (k DisclosureKind) Basis(statute string) string {
	switch k.Or() {
	case KindSupervisoryAuthority:
		return "Supervisory authority order: the authority's investigative powers, GDPR Art. 58(1)(a) (information it requires) and (e) (access to personal data)"
	case KindStatutoryOrder:
		return "Statutory order under " + statute
	case KindVitalInterest:
		return "Vital interest (emergency, threat to life): GDPR Art. 6(1)(d); decided within hours"
	default:
		return "Police request: disclosed only under a court order"
	}
}

// Disclosure is a row of the disclosure register: an authority's request for data and what came of it.
// It names the authority, the case and the court order, never the subjects (Subjects is a count).
type Disclosure struct {
	RequestID                    string
	Authority, Country, CaseRef  string
	LegalBasis                   string
	CourtOrder, Court, OrderDate string
	// Kind is the kind of authority request (empty in rows from before kinds: police); Statute names the
	// law of a statutory order (sealed with the case).
	Kind    DisclosureKind
	Statute string
	// OrderSHA256 is the hex SHA-256 of the order document, when one was supplied.
	OrderSHA256         string
	CategoriesRequested []string
	CategoriesDisclosed []string
	// Subjects is how many subjects the order names; SubjectsDisclosed how many of them had data in the
	// bundle the authority received (complied requests; the transparency report counts these).
	Subjects               int
	SubjectsDisclosed      int
	Outcome                DisclosureStatus
	Approvers              []string
	GagUntil               string // YYYY-MM-DD, or empty
	ReceivedAt             time.Time
	DecidedAt, DisclosedAt *time.Time
}
