package dsrflow

import (
	"slices"
	"strings"
)

// DeclaredPurpose is a purpose of processing as the controller declares it (controller.yaml's
// purposes): the ids that consent withdrawals and objections name.
type DeclaredPurpose struct {
	ID string
	// DirectMarketing marks direct marketing, or profiling to the extent it is related to it: an
	// objection to it is absolute (GDPR Art. 21(2)-(3)), so it is never reviewed and never refused.
	DirectMarketing bool
}

// UnknownPurposes checks a request's purpose ids against the declared ones. It returns the message for
// the "purposes" field naming the ids that are not declared, and "" when every id is.
func UnknownPurposes(declared []DeclaredPurpose, ids []string) string {
	var unknown []string
	for _, id := range ids {
		if !slices.ContainsFunc(declared, func(p DeclaredPurpose) bool { return p.ID == id }) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) == 0 {
		return ""
	}
	known := make([]string, len(declared))
	for i, p := range declared {
		known[i] = p.ID
	}
	return "unknown purpose " + strings.Join(quoted(unknown), ", ") + "; one of " + strings.Join(known, ", ")
}

// ObjectsToDirectMarketing reports whether any of the purpose ids is declared as direct marketing.
func ObjectsToDirectMarketing(declared []DeclaredPurpose, ids []string) bool {
	return slices.ContainsFunc(declared, func(p DeclaredPurpose) bool { return p.DirectMarketing && slices.Contains(ids, p.ID) })
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = `"` + s + `"`
	}
	return out
}
