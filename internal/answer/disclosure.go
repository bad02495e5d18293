package answer

import (
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Disclosure is what a subject is told of a disclosure of their data to an authority: the kind of
// request and what it rests on (the court order, the statute), the authority and its case, and the
// categories of the subject's own data that went out, as the authority named them.
type Disclosure struct {
	Kind                         dsrflow.DisclosureKind
	Authority, CaseRef, Statute  string
	CourtOrder, Court, OrderDate string
	Categories                   []string
}

// DisclosureNotice tells a subject, in language, that personal data about them was disclosed to an
// authority, in words true for the kind: a court order, a supervisory authority's order (GDPR Art.
// 58(1)(a), (e)), a statute's, or an emergency (Art. 6(1)(d)). The authority, case, statute, court and
// categories are shown as written; the order's date is written as the language writes dates.
func DisclosureNotice(language string, d Disclosure) Message {
	l := langOf(language)
	var why string
	switch kind := d.Kind.Or(); kind {
	case dsrflow.KindPolice:
		why = l.t("disclosure.police", "order", l.order(d), "authority", d.Authority, "case", d.CaseRef)
	case dsrflow.KindStatutoryOrder:
		why = l.t("disclosure.statutory_order", "authority", d.Authority, "case", d.CaseRef, "statute", d.Statute)
	default:
		why = l.t("disclosure."+string(kind), "authority", d.Authority, "case", d.CaseRef)
	}
	text := why + "\n\n" + l.t("disclosure.categories", "categories", strings.Join(d.Categories, ", ")) +
		"\n\n" + l.t("disclosure.rights") + "\n"
	return Message{Subject: l.t("disclosure.subject"), Text: text}
}

// order names a court order: its reference, the court and its date, those that are known.
func (l lang) order(d Disclosure) string {
	var parts []string
	for _, p := range []string{d.CourtOrder, d.Court} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if date := strings.TrimSpace(d.OrderDate); date != "" {
		if t, err := time.Parse(time.DateOnly, date); err == nil {
			date = l.date(t)
		}
		parts = append(parts, date)
	}
	return strings.Join(parts, ", ")
}
