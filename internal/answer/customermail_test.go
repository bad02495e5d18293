package answer

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// TestCustomerMailsNameEveryRightAndAction: a right added to dsrflow.Rights, or an action processors may
// execute, without its words for the customer mails fails here, instead of reaching a customer as "a
// request about their personal data" or a bare code.
func TestCustomerMailsNameEveryRightAndAction(t *testing.T) {
	for _, l := range dsrflow.Languages {
		for _, r := range dsrflow.Rights {
			if _, ok := catalogs()[l]["routed.type."+string(r.Type)]; !ok {
				t.Errorf("%s: no routed.type.%s in texts/%s.json", r.Type, r.Type, l)
			}
		}
		for _, a := range connectors.ProcessorActions {
			if _, ok := catalogs()[l]["routed.action."+string(a)]; !ok {
				t.Errorf("%s: no routed.action.%s in texts/%s.json", a, a, l)
			}
		}
	}
}

// The confirmation of an executed instruction says what the processor answered, in the customer's
// language: done, nothing left to act on, or done except data kept on a legal basis.
func TestRoutedExecutedSaysTheOutcome(t *testing.T) {
	r := Routed{Group: "Example Group", Customer: "Acme Manufacturing Ltd", Ref: "dsr_1:payroll:t-acme", Type: dsrflow.Rectification,
		System: "payroll", Tenant: "t-acme", Due: time.Date(2026, 12, 17, 10, 0, 0, 0, time.UTC)}
	want := map[string]map[connectors.Status]string{
		"en": {connectors.StatusCompleted: "The action is complete.", connectors.StatusNotFound: "The tenant held no data about the person any more.",
			connectors.StatusExempt: "except data the system keeps on a legal basis"},
		"nb": {connectors.StatusCompleted: "Handlingen er fullført.", connectors.StatusNotFound: "Tenanten hadde ingen opplysninger om personen lenger.",
			connectors.StatusExempt: "unntatt opplysninger systemet beholder med rettslig grunnlag"},
		"sv": {connectors.StatusCompleted: "Åtgärden är slutförd.", connectors.StatusNotFound: "Kundmiljön innehöll inte längre några uppgifter om personen.",
			connectors.StatusExempt: "utom för uppgifter som systemet sparar med stöd av en rättslig grund"},
		"da": {connectors.StatusCompleted: "Handlingen er gennemført.", connectors.StatusNotFound: "Kundemiljøet indeholdt ikke længere oplysninger om personen.",
			connectors.StatusExempt: "undtagen for oplysninger, som systemet opbevarer med et retsgrundlag"},
		"fi": {connectors.StatusCompleted: "Toimenpide on tehty.", connectors.StatusNotFound: "Asiakasympäristössä ei ollut enää henkilöä koskevia tietoja.",
			connectors.StatusExempt: "lukuun ottamatta tietoja, jotka järjestelmä säilyttää oikeusperusteen nojalla"},
	}
	action := map[string]string{"en": "correcting the data about the person as you instruct (rectify)", "nb": "retting av opplysningene om personen etter deres instruks (rectify)",
		"sv": "rättelse av uppgifterna om personen enligt era instruktioner (rectify)", "da": "berigtigelse af oplysningerne om personen efter jeres instruks (rectify)",
		"fi": "henkilöä koskevien tietojen oikaiseminen ohjeidenne mukaisesti (rectify)"}
	for _, l := range dsrflow.Languages {
		for status, w := range want[l] {
			m := RoutedExecuted(l, r, dsrflow.ActionRectify, status)
			if !strings.Contains(m.Text, w) || !strings.Contains(m.Text, action[l]) || !strings.Contains(m.Subject, r.Ref) {
				t.Errorf("%s, %s: the confirmation lacks %q or %q:\n%s\n%s", l, status, w, action[l], m.Subject, m.Text)
			}
		}
	}
	// A customer whose language is not one of dsrflow.Languages (customers.yaml refuses it) is
	// written to in English.
	if m := RoutedNotice("xx", r); !strings.HasPrefix(m.Text, "Dear Acme Manufacturing Ltd,") || !strings.Contains(m.Text, "a request to correct their personal data") {
		t.Errorf("unknown language:\n%s", m.Text)
	}
}
