package dsrflow

// Rights as one table (issue 19): everything that differs between request types is a field of a Right,
// and the code that differs by type reads the table instead of testing types by name. Adding a right is
// a row here, its texts (internal/answer/text.go, the privacy center's texts) and its tests; each of
// those packages has a test that fails when a row of this table lacks what it needs there.

// Input is something a request of a type must or may carry beyond the subject's identity.
type Input string

// Inputs of requests.
const (
	// InputCorrections are the corrected values of a rectification (Art. 16).
	InputCorrections Input = "corrections"
	// InputPurposes are the purposes consent is withdrawn for (Art. 7(3)), or the purposes an objection
	// objects to (Art. 21): ids of the controller's declared purposes (DeclaredPurpose).
	InputPurposes Input = "purposes"
	// InputGrounds are the subject's grounds for an objection (Art. 21(1)): "grounds relating to his or
	// her particular situation".
	InputGrounds Input = "grounds"
	// InputRestrictionGround is the case of Art. 18(1)(a)-(d) a restriction names (RestrictionGround).
	InputRestrictionGround Input = "ground"
)

// Right is how dsrflow handles one request type.
type Right struct {
	Type RequestType
	// Law names the provision the right comes from, for people (reviewers, the register, docs).
	Law string
	// Action is what connectors are asked to do.
	Action Action
	// Verification is the identity check when an agent attests nothing. VerifyNone for rights whose
	// exercise only stops processing and returns nothing (the policy's opt-outs).
	Verification Verification
	// Needs are inputs a request must carry; Accepts are inputs it may carry.
	Needs, Accepts []Input
	// NotifiesRecipients: partners who received the data are told of the request (GDPR Art. 19).
	NotifiesRecipients bool
	// Export: the answer gives the subject their data (an export); Portable: in a structured,
	// machine-readable form (Art. 20).
	Export, Portable bool
	// Review: a reviewer decides before fulfilment (an objection is weighed against compelling
	// legitimate grounds, Art. 21(1)). An objection to direct marketing is never reviewed (Art. 21(3)):
	// ObjectsToDirectMarketing.
	Review bool
	// Suppresses: once fulfilled, the subject's address goes on the marketing suppression list (a keyed
	// hash that outlives the request's records), so that no import brings the person back into marketing.
	Suppresses bool
	// Jurisdictions are the laws under which the right exists ("gdpr", "ccpa"); none means every one
	// dsrflow serves.
	Jurisdictions []string
	// BusinessDays, when set, is the deadline: that many business days after receipt, with no extension.
	// Zero means the jurisdiction's period (GDPR: one month, extendable by two; CCPA: 45 days, by 45).
	BusinessDays int
}

// Rights is the table of rights, in the order the privacy policy names them.
var Rights = []Right{
	{Type: Access, Law: "GDPR Art. 15", Action: ActionAccess, Verification: VerifyEmailCode, Export: true},
	{Type: Portability, Law: "GDPR Art. 20", Action: ActionAccess, Verification: VerifyEmailCode, Export: true, Portable: true},
	{Type: Rectification, Law: "GDPR Art. 16", Action: ActionRectify, Verification: VerifyEmailCode, Needs: []Input{InputCorrections}, NotifiesRecipients: true},
	{Type: Erasure, Law: "GDPR Art. 17", Action: ActionErase, Verification: VerifyEmailCode, NotifiesRecipients: true, Suppresses: true},
	{Type: Restriction, Law: "GDPR Art. 18", Action: ActionRestrict, Verification: VerifyEmailCode, Needs: []Input{InputRestrictionGround}, NotifiesRecipients: true},
	{Type: Objection, Law: "GDPR Art. 21(1)", Action: ActionObject, Verification: VerifyEmailCode, Accepts: []Input{InputGrounds, InputPurposes}, Review: true},
	{Type: MarketingOptout, Law: "GDPR Art. 21(2)-(3)", Action: ActionOptout, Verification: VerifyNone, Suppresses: true},
	{Type: ConsentWithdrawal, Law: "GDPR Art. 7(3)", Action: ActionWithdrawConsent, Verification: VerifyNone, Needs: []Input{InputPurposes}},
	// CCPA: no verification beyond the identifier given (11 CCR 7026(d): a request to opt out need not be
	// verifiable); due within 15 business days (11 CCR 7026(f)); the third parties the data was sold or
	// shared with are told to comply (11 CCR 7026(f)(2)).
	{Type: DoNotSell, Law: "CCPA Cal. Civ. Code 1798.120; 11 CCR 7026", Action: ActionOptoutSale, Verification: VerifyNone,
		NotifiesRecipients: true, Jurisdictions: []string{"ccpa"}, BusinessDays: 15},
}

// RequestTypes lists every request type, in the order of Rights.
var RequestTypes = func() []RequestType {
	out := make([]RequestType, len(Rights))
	for i, r := range Rights {
		out[i] = r.Type
	}
	return out
}()

// LookupRight returns the row of t, and false for an unknown type.
func LookupRight(t RequestType) (Right, bool) {
	for _, r := range Rights {
		if r.Type == t {
			return r, true
		}
	}
	return Right{}, false
}

// Right returns the row of t; the zero Right (no action, no export) for an unknown type.
func (t RequestType) Right() Right {
	r, _ := LookupRight(t)
	return r
}

// Valid reports whether t is a known request type.
func (t RequestType) Valid() bool {
	_, ok := LookupRight(t)
	return ok
}

// Action returns the connector action that fulfils a request of this type.
func (t RequestType) Action() Action { return t.Right().Action }

// NotifiesPartners reports whether recipients of the data must be told (GDPR Art. 19).
func (t RequestType) NotifiesPartners() bool { return t.Right().NotifiesRecipients }

// DefaultVerification is the method a request type gets when the agent attests nothing: opt-outs and
// consent withdrawals need no identity check (the policy's opt-out is absolute).
func (t RequestType) DefaultVerification() Verification {
	if v := t.Right().Verification; v != "" {
		return v
	}
	return VerifyEmailCode
}

// HasExport reports whether the answer to a completed request of this type gives the subject their data.
func (t RequestType) HasExport() bool { return t.Right().Export }

// ExistsUnder reports whether the right exists under the jurisdiction ("gdpr", "ccpa").
func (r Right) ExistsUnder(jurisdiction string) bool {
	if len(r.Jurisdictions) == 0 {
		return true
	}
	for _, j := range r.Jurisdictions {
		if j == jurisdiction {
			return true
		}
	}
	return false
}

// Needs reports whether a request of this type must carry in.
func (t RequestType) Needs(in Input) bool {
	for _, n := range t.Right().Needs {
		if n == in {
			return true
		}
	}
	return false
}

// Accepts reports whether a request of this type may carry in (it needs it, or accepts it).
func (t RequestType) Accepts(in Input) bool {
	if t.Needs(in) {
		return true
	}
	for _, a := range t.Right().Accepts {
		if a == in {
			return true
		}
	}
	return false
}
