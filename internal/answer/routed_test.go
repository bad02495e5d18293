package answer

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The answer names each customer that controls data the group holds for it, says the request was
// forwarded, and is silent about it when the request was not completed.
func TestComposeNamesCustomerControllers(t *testing.T) {
	c := demoController(t)
	crm := subsidiary("marketing-crm", "Example Marketing AS", dsrflow.ActionAccess, connectors.StatusCompleted)
	in := Input{RequestID: "dsr_1", Type: dsrflow.Access, Country: "NO", Status: dsrflow.StatusCompleted,
		Received: time.Date(2026, 3, 2, 10, 0, 0, 0, oslo), Due: time.Date(2026, 4, 2, 10, 0, 0, 0, oslo), Closed: time.Date(2026, 3, 3, 10, 0, 0, 0, oslo),
		Outcomes:    []Outcome{crm},
		Controllers: []CustomerContact{{LegalName: "Acme Manufacturing AS", Contact: "privacy@acme.example"}},
	}
	text := Compose(c, in).Text
	for _, want := range []string{"we have forwarded your request to them", "- Acme Manufacturing AS, privacy@acme.example", "this answer includes none of that data"} {
		if !strings.Contains(text, want) {
			t.Fatalf("answer lacks %q:\n%s", want, text)
		}
	}
	in.Status = dsrflow.StatusCanceled
	if text := Compose(c, in).Text; strings.Contains(text, "Acme") {
		t.Fatalf("a canceled request's answer names the customer:\n%s", text)
	}
}

// A refused request's answer names the customers the request was forwarded to before the refusal, and
// says the refusal does not decide for them; in every language.
func TestComposeRefusedNamesForwardedCustomers(t *testing.T) {
	c := demoController(t)
	in := Input{RequestID: "dsr_1", Type: dsrflow.Erasure, Country: "NO", Status: dsrflow.StatusRejected,
		Ground: string(dsrflow.RefusalManifestlyExcessive), Reason: "the fourth erasure this week",
		Received: time.Date(2026, 3, 2, 10, 0, 0, 0, oslo), Due: time.Date(2026, 4, 2, 10, 0, 0, 0, oslo), Closed: time.Date(2026, 3, 3, 10, 0, 0, 0, oslo),
		Controllers: []CustomerContact{{LegalName: "Acme Manufacturing AS", Contact: "privacy@acme.example"}},
	}
	text := Compose(c, in).Text
	for _, want := range []string{"Before we refused your request", "our refusal does not decide for them", "- Acme Manufacturing AS, privacy@acme.example"} {
		if !strings.Contains(text, want) {
			t.Fatalf("refused answer lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "we have forwarded your request to them") {
		t.Fatalf("the refused answer uses the completed request's words:\n%s", text)
	}
	for _, lang := range []string{"nb", "sv", "da", "fi"} {
		in.Language = lang
		if text := Compose(c, in).Text; !strings.Contains(text, "Acme Manufacturing AS, privacy@acme.example") || strings.Contains(text, "Before we refused") {
			t.Errorf("%s: the refused answer does not name the customer in its own words:\n%s", lang, text)
		}
	}
}
