package answer

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// TestEveryRightHasItsTexts: a right added to dsrflow.Rights without its names or its answer paragraph
// fails here, instead of reaching subjects as "your request" and an answer that does not say what was
// done (issue 19).
func TestEveryRightHasItsTexts(t *testing.T) {
	c, err := ParseController(dsrflow.DemoController)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for _, r := range dsrflow.Rights {
		for _, l := range dsrflow.Languages {
			for _, k := range []string{"request.long.", "request.short."} {
				if _, ok := catalogs()[l][k+string(r.Type)]; !ok {
					t.Errorf("%s: no %s%s in texts/%s.json", r.Type, k, r.Type, l)
				}
			}
		}
		in := Input{RequestID: "dsr_x", Type: r.Type, Country: "NO", Received: at, Due: at.AddDate(0, 1, 0), Closed: at,
			Status: dsrflow.StatusCompleted, Corrections: map[string]string{"user.name": "x"}, Purposes: []string{"newsletter"}}
		if !rightParagraph(&textWriter{}, c, in) {
			t.Errorf("%s: the answer has no paragraph for it (rightParagraph)", r.Type)
		}
		if msg := Compose(c, in); strings.Contains(msg.Text, "We have handled your") {
			t.Errorf("%s: the answer falls back to the generic sentence", r.Type)
		}
		if r.Export {
			var b strings.Builder
			if err := BuildExport(c, in, &b); err != nil {
				t.Errorf("%s: has an export, BuildExport: %v", r.Type, err)
			}
		}
	}
}

// TestDoNotSellSaysPartnersWereToldOnlyWhenTheyWere: the sentence that partners were told to stop is
// there when a partner's notice completed, and not when none was sent.
func TestDoNotSellSaysPartnersWereToldOnlyWhenTheyWere(t *testing.T) {
	c, err := ParseController(dsrflow.DemoController)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	in := Input{RequestID: "dsr_x", Type: dsrflow.DoNotSell, Country: "US", Received: at, Due: at.AddDate(0, 0, 21), Closed: at, Status: dsrflow.StatusCompleted,
		Outcomes: []Outcome{{ConnectorID: "crm", Owner: "Example Marketing AS", Role: connectors.RoleSubsidiary, Action: dsrflow.ActionOptoutSale, Status: connectors.StatusCompleted}}}
	const told = "We have told the companies we sold or shared it with"
	if text := Compose(c, in).Text; strings.Contains(text, told) || !strings.Contains(text, "We no longer sell or share your personal information.") {
		t.Errorf("no partner notice sent, the answer says:\n%s", text)
	}
	in.Outcomes = append(in.Outcomes, Outcome{ConnectorID: "adpartner", Owner: "Example Ad Partner Ltd", Role: connectors.RolePartner, Action: dsrflow.ActionNotify, Status: connectors.StatusCompleted})
	if text := Compose(c, in).Text; !strings.Contains(text, told) {
		t.Errorf("a partner was told, the answer does not say so:\n%s", text)
	}
}
