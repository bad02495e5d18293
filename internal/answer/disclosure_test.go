package answer_test

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/answer"
)

// TestDisclosureNoticeInEveryLanguage: the notice of a disclosure to an authority is written in the
// language asked for, for every kind, naming the authority, the case, the statute of a statutory order
// and the categories as written, and citing the GDPR in that language's style.
func TestDisclosureNoticeInEveryLanguage(t *testing.T) {
	d := answer.Disclosure{Authority: "Skatteetaten", CaseRef: "2026/77", Statute: "skatteforvaltningsloven § 10-2",
		CourtOrder: "TOSL-2026-17", Court: "Oslo tingrett", OrderDate: "2026-02-27", Categories: []string{"user.contact.email", "user.financial"}}
	cite := map[string]string{"en": "GDPR Art. 58(1)(a) and (e)", "nb": "personvernforordningen artikkel 58 nr. 1 bokstav a og e",
		"sv": "artikel 58.1 a och e i dataskyddsförordningen", "da": "databeskyttelsesforordningens artikel 58, stk. 1, litra a og e",
		"fi": "tietosuoja-asetuksen 58 artiklan 1 kohdan a ja e alakohta"}
	date := map[string]string{"en": "27 February 2026", "nb": "27. februar 2026", "sv": "27 februari 2026", "da": "27. februar 2026", "fi": "27. helmikuuta 2026"}
	english := map[dsrflow.DisclosureKind]string{}
	for _, lang := range dsrflow.Languages {
		for _, kind := range []dsrflow.DisclosureKind{dsrflow.KindPolice, dsrflow.KindSupervisoryAuthority, dsrflow.KindStatutoryOrder, dsrflow.KindVitalInterest} {
			d.Kind = kind
			m := answer.DisclosureNotice(lang, d)
			if strings.Contains(m.Subject+m.Text, "{") || !strings.Contains(m.Text, "Skatteetaten") || !strings.Contains(m.Text, "2026/77") ||
				!strings.Contains(m.Text, "user.contact.email, user.financial") {
				t.Errorf("%s %s: %q\n%s", lang, kind, m.Subject, m.Text)
			}
			switch kind {
			case dsrflow.KindPolice:
				if !strings.Contains(m.Text, "TOSL-2026-17, Oslo tingrett, "+date[lang]) {
					t.Errorf("%s police notice does not name the order with its date (%s): %s", lang, date[lang], m.Text)
				}
			case dsrflow.KindSupervisoryAuthority:
				if !strings.Contains(m.Text, cite[lang]) {
					t.Errorf("%s supervisory authority's notice does not cite %q: %s", lang, cite[lang], m.Text)
				}
			case dsrflow.KindStatutoryOrder:
				if !strings.Contains(m.Text, "skatteforvaltningsloven § 10-2") {
					t.Errorf("%s statutory order's notice does not name the statute: %s", lang, m.Text)
				}
			}
			if lang == "en" {
				english[kind] = m.Subject + m.Text
			} else if strings.Contains(m.Text, "disclosed") || m.Subject+m.Text == english[kind] {
				t.Errorf("%s %s notice is English: %s", lang, kind, m.Text)
			}
		}
	}
}
