package answer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// dateFormat is how dates appear to the subject. Times are shown in their own location: the caller gives
// them in the controller's (or the subject's) time zone.
const dateFormat = "2 January 2006"

func date(t time.Time) string { return t.Format(dateFormat) }

// requestName is the request as the subject would name it, after "your".
var requestName = map[dsrflow.RequestType]string{
	dsrflow.Access:            "request for access to your personal data",
	dsrflow.Portability:       "request for a copy of your personal data in a machine-readable format",
	dsrflow.Rectification:     "request to correct your personal data",
	dsrflow.Erasure:           "request to erase your personal data",
	dsrflow.Restriction:       "request to restrict the use of your personal data",
	dsrflow.Objection:         "objection to the processing of your personal data",
	dsrflow.MarketingOptout:   "request to opt out of marketing and profiling",
	dsrflow.ConsentWithdrawal: "withdrawal of your consent",
	dsrflow.DoNotSell:         "request that we do not sell or share your personal information",
}

// requestShort names the request in subject lines.
var requestShort = map[dsrflow.RequestType]string{
	dsrflow.Access:            "access request",
	dsrflow.Portability:       "data portability request",
	dsrflow.Rectification:     "correction request",
	dsrflow.Erasure:           "erasure request",
	dsrflow.Restriction:       "restriction request",
	dsrflow.Objection:         "objection",
	dsrflow.MarketingOptout:   "marketing opt-out",
	dsrflow.ConsentWithdrawal: "consent withdrawal",
	dsrflow.DoNotSell:         "request to opt out of sale and sharing",
}

func longName(t dsrflow.RequestType) string {
	if n, ok := requestName[t]; ok {
		return n
	}
	return "request"
}

func shortName(t dsrflow.RequestType) string {
	if n, ok := requestShort[t]; ok {
		return n
	}
	return "request"
}

// restrictionGroundText says a restriction's ground of GDPR Art. 18(1) to the subject: its letter, why
// (after "because") and, for a restriction that lasts until something is decided, until what.
var restrictionGroundText = map[dsrflow.RestrictionGround]struct{ letter, because, until string }{
	dsrflow.RestrictAccuracyContested:  {"a", "you contest the accuracy of your personal data", "we have checked whether your data is accurate"},
	dsrflow.RestrictUnlawfulProcessing: {"b", "you consider our processing of your data unlawful and want its use restricted instead of erased", ""},
	dsrflow.RestrictLegalClaims:        {"c", "you need your data kept to establish, exercise or defend legal claims", ""},
	dsrflow.RestrictObjectionPending:   {"d", "you objected to our processing of your data", "we have decided whether our legitimate grounds override yours"},
}

// legalBasisName says an Art. 6(1) basis in plain language.
var legalBasisName = map[string]string{
	"consent":              "your consent",
	"contract":             "our agreement with you, or steps you asked for before one",
	"legal_obligation":     "a legal obligation",
	"vital_interests":      "the protection of someone's vital interests",
	"public_task":          "a task in the public interest",
	"legitimate_interests": "our legitimate interests",
}

// exemptionBasisName says an Art. 17(3) ground for keeping data in plain language, after "kept because of".
var exemptionBasisName = map[string]string{
	"legal_obligation":      "a legal obligation",
	"legal_claims":          "possible legal claims",
	"public_interest":       "the public interest",
	"public_health":         "public health",
	"archiving":             "archiving in the public interest, research or statistics",
	"freedom_of_expression": "freedom of expression and information",
}

func legalBasis(b string) string {
	if n, ok := legalBasisName[b]; ok {
		return n
	}
	return humanize(b)
}

func exemptionBasis(b string) string {
	if n, ok := exemptionBasisName[b]; ok {
		return n
	}
	return humanize(b)
}

// humanize turns an identifier (crm_contacts, user.contact.email) into words: its last dotted part, with
// _ and - as spaces.
func humanize(id string) string {
	if i := strings.LastIndex(id, "."); i >= 0 && i < len(id)-1 {
		id = id[i+1:]
	}
	return strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(id))
}

// capitalize upper-cases the first letter.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// sentence makes text supplied by people (a reviewer's reason) end like a sentence.
func sentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	s = capitalize(s)
	if !strings.ContainsAny(s[len(s)-1:], ".!?") {
		s += "."
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// list joins words as English does: "a, b and c".
func list(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// sortedUnique sorts and removes empty and duplicate strings.
func sortedUnique(s []string) []string {
	out := slices.DeleteFunc(slices.Clone(s), func(v string) bool { return v == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// countWords says what a job did by kind, in a fixed order: "3 items erased, 1 item anonymised".
var countWords = map[string]string{
	"erased":     "erased",
	"deleted":    "deleted",
	"masked":     "anonymised",
	"anonymized": "anonymised",
	"corrected":  "corrected",
	"rectified":  "corrected",
	"restricted": "restricted",
	"suppressed": "added to the suppression list",
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, n := range m {
		if n > 0 && k != "notified" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		w, ok := countWords[k]
		if !ok {
			w = humanize(k)
		}
		parts = append(parts, plural(m[k], "item", "items")+" "+w)
	}
	return strings.Join(parts, ", ")
}

// sortOutcomes orders outcomes as the subject reads them: subsidiaries before partners, then by company,
// connector and action. It returns a sorted copy.
func sortOutcomes(in []Outcome) []Outcome {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b Outcome) int {
		return cmp.Or(
			cmp.Compare(roleRank(a.Role), roleRank(b.Role)),
			cmp.Compare(a.Owner, b.Owner),
			cmp.Compare(a.ConnectorID, b.ConnectorID),
			cmp.Compare(a.Action, b.Action),
		)
	})
	return out
}

func roleRank(role string) int {
	if role == connectors.RolePartner {
		return 1
	}
	return 0
}

// sortExemptions returns the exemptions ordered by dataset, basis, detail and date.
func sortExemptions(in []connectors.Exemption) []connectors.Exemption {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b connectors.Exemption) int {
		return cmp.Or(
			cmp.Compare(a.Dataset, b.Dataset),
			cmp.Compare(a.Basis, b.Basis),
			cmp.Compare(a.Detail, b.Detail),
			compareUntil(a.Until, b.Until),
			slices.Compare(a.Categories, b.Categories),
		)
	})
	return out
}

func compareUntil(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

// exemptionText says what was kept, why and until when:
// "Invoices (Financial information): kept because of a legal obligation (Bookkeeping Act: 5 years) until 31 December 2030. Then we delete it."
func exemptionText(c Controller, e connectors.Exemption) string {
	what := "Some of your data"
	if e.Dataset != "" {
		what = capitalize(humanize(e.Dataset))
	}
	if names := categoryNames(c, e.Categories); len(names) > 0 {
		what += " (" + list(names) + ")"
	}
	s := what + ": kept because of " + exemptionBasis(e.Basis)
	if d := strings.Join(strings.Fields(e.Detail), " "); d != "" {
		s += " (" + strings.TrimRight(d, ".") + ")"
	}
	if e.Until != nil {
		return s + ", until " + date(*e.Until) + ". Then we delete it."
	}
	return s + "."
}

// categoryNames names data categories by the controller's categories, sorted and without repeats.
func categoryNames(c Controller, taxonomy []string) []string {
	names := make([]string, 0, len(taxonomy))
	for _, t := range taxonomy {
		if n := c.categoryName(t); n != "" {
			names = append(names, n)
		} else {
			names = append(names, humanize(t))
		}
	}
	return sortedUnique(names)
}
