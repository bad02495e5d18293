package dsrflow

import "slices"

// DeclaredPurpose is a purpose of processing as the controller declares it (controller.yaml's
// purposes): the ids that consent withdrawals and objections name.
type DeclaredPurpose struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// LegalBasis is its Art. 6(1) basis ("consent", "legitimate_interests", ...).
	LegalBasis string `json:"legal_basis,omitempty"`
	// DirectMarketing marks direct marketing, or profiling to the extent it is related to it: an
	// objection to it is absolute (GDPR Art. 21(2)-(3)), so it is never reviewed and never refused.
	DirectMarketing bool `json:"direct_marketing,omitempty"`
}

// ObjectsToDirectMarketing reports whether any of the purpose ids is declared as direct marketing.
func ObjectsToDirectMarketing(declared []DeclaredPurpose, ids []string) bool {
	return slices.ContainsFunc(declared, func(p DeclaredPurpose) bool { return p.DirectMarketing && slices.Contains(ids, p.ID) })
}
