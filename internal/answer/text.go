package answer

import (
	"cmp"
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

func date(t time.Time) string { return lang("").date(t) }

// The request as the subject would name it after "your" (request.long.<type>), and in subject lines
// (request.short.<type>), are texts of each language.

func longName(t dsrflow.RequestType) string  { return lang("").longName(t) }
func shortName(t dsrflow.RequestType) string { return lang("").shortName(t) }

func (l lang) longName(t dsrflow.RequestType) string {
	if k := "request.long." + string(t); l.has(k) {
		return l.t(k)
	}
	return l.t("request.long.other")
}

func (l lang) shortName(t dsrflow.RequestType) string {
	if k := "request.short." + string(t); l.has(k) {
		return l.t(k)
	}
	return l.t("request.short.other")
}

// restrictionLetter is a restriction ground's letter of GDPR Art. 18(1); each ground's texts are
// restriction.<ground>.because (after "because") and, for one that lasts until something is decided,
// restriction.<ground>.until.
var restrictionLetter = map[dsrflow.RestrictionGround]string{
	dsrflow.RestrictAccuracyContested:  "a",
	dsrflow.RestrictUnlawfulProcessing: "b",
	dsrflow.RestrictLegalClaims:        "c",
	dsrflow.RestrictObjectionPending:   "d",
}

// legalBasis says an Art. 6(1) basis in plain language (basis.<basis>).
func (l lang) legalBasis(b string) string {
	if k := "basis." + b; l.has(k) {
		return l.t(k)
	}
	return humanize(b)
}

// exemptionBasis says an Art. 17(3) ground for keeping data in plain language, after "kept because of"
// (exemption.<basis>).
func (l lang) exemptionBasis(b string) string {
	if k := "exemption." + b; l.has(k) {
		return l.t(k)
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

// list joins words as English does: "a, b and c".
func list(words []string) string { return lang("").list(words) }

// sortedUnique sorts and removes empty and duplicate strings.
func sortedUnique(s []string) []string {
	out := slices.DeleteFunc(slices.Clone(s), func(v string) bool { return v == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// counts says what a job did by kind, in a fixed order: "3 items erased, 1 item anonymised" (count.<kind>).
func (l lang) counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, n := range m {
		if n > 0 && k != "notified" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		w := humanize(k)
		if l.has("count." + k) {
			w = l.t("count." + k)
		}
		parts = append(parts, l.plural(m[k], "n.item")+" "+w)
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
func (l lang) exemptionText(c Controller, e connectors.Exemption) string {
	what := l.t("exempt.some")
	if e.Dataset != "" {
		what = capitalize(humanize(e.Dataset))
	}
	if names := categoryNames(c, e.Categories); len(names) > 0 {
		what += " (" + l.list(names) + ")"
	}
	s := l.t("exempt.kept", "what", what, "basis", l.exemptionBasis(e.Basis))
	if d := strings.Join(strings.Fields(e.Detail), " "); d != "" {
		s += " (" + strings.TrimRight(d, ".") + ")"
	}
	if e.Until != nil {
		return s + l.t("exempt.until", "date", l.date(*e.Until))
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
