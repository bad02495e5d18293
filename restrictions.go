package dsrflow

import "strings"

// RestrictionGround is the case of GDPR Art. 18(1) a restriction request names: it decides what the
// subject is told about how long the restriction lasts.
type RestrictionGround string

// Restriction grounds, GDPR Art. 18(1)(a)-(d).
const (
	// RestrictAccuracyContested: (a) the subject contests the accuracy of the data, for the period the
	// controller needs to verify it.
	RestrictAccuracyContested RestrictionGround = "accuracy_contested"
	// RestrictUnlawfulProcessing: (b) the processing is unlawful and the subject asks for restriction
	// instead of erasure.
	RestrictUnlawfulProcessing RestrictionGround = "unlawful_processing"
	// RestrictLegalClaims: (c) the controller no longer needs the data, but the subject needs it for
	// legal claims.
	RestrictLegalClaims RestrictionGround = "legal_claims"
	// RestrictObjectionPending: (d) the subject objected (Art. 21(1)), pending the verification whether
	// the controller's legitimate grounds override the subject's.
	RestrictObjectionPending RestrictionGround = "objection_pending"
)

// RestrictionGrounds lists the grounds in the order of Art. 18(1), as forms offer them.
var RestrictionGrounds = []RestrictionGround{RestrictAccuracyContested, RestrictUnlawfulProcessing, RestrictLegalClaims, RestrictObjectionPending}

// Valid reports whether g is one of RestrictionGrounds.
func (g RestrictionGround) Valid() bool {
	for _, v := range RestrictionGrounds {
		if g == v {
			return true
		}
	}
	return false
}

// UntilDecided reports whether a restriction on ground g lasts until something is decided (the accuracy
// check, Art. 18(1)(a); the objection, 18(1)(d)), rather than until the subject or the law ends it.
func (g RestrictionGround) UntilDecided() bool {
	return g == RestrictAccuracyContested || g == RestrictObjectionPending
}

// RestrictionGroundList is the grounds for messages: "accuracy_contested, unlawful_processing, ...".
func RestrictionGroundList() string {
	names := make([]string, len(RestrictionGrounds))
	for i, g := range RestrictionGrounds {
		names[i] = string(g)
	}
	return strings.Join(names, ", ")
}

// RestrictionLift is an agent's or the DPO's decision to lift a fulfilled restriction (POST
// /api/v1/requests/{id}/restriction/lift). The subject is told, with Reason, before it is lifted
// (Art. 18(3)).
type RestrictionLift struct {
	Reason string `json:"reason"`
}

// RestrictionLifted is the answer to a lift: the lift started now, or had started before (Already).
type RestrictionLifted struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Already bool   `json:"already,omitempty"`
}
