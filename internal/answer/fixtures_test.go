package answer

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The demo persona is the only subject in these fixtures.
const (
	janeEmail = "jane.doe@example.com"
	janeName  = "Jane Doe"
)

// demoController is the repository's controller.yaml: the tests double as its check.
func demoController(t *testing.T) Controller {
	t.Helper()
	c, err := LoadController("../../controller.yaml")
	if err != nil {
		t.Fatalf("load controller.yaml: %v", err)
	}
	return c
}

var (
	oslo          = mustZone("Europe/Oslo")
	received      = time.Date(2025, 3, 3, 9, 30, 0, 0, oslo)
	due           = time.Date(2025, 4, 3, 23, 59, 59, 0, oslo)
	closed        = time.Date(2025, 3, 20, 14, 0, 0, 0, oslo)
	bookkeeping   = time.Date(2030, 12, 31, 0, 0, 0, 0, oslo)
	linkExpiry    = time.Date(2025, 4, 19, 14, 0, 0, 0, oslo)
	janeRecordCRM = connectors.Record{
		Dataset:    "crm_contacts",
		Fields:     map[string]string{"email": janeEmail, "name": janeName, "phone": "+47 400 00 000", "lead_source": "webinar"},
		Categories: map[string]string{"email": "user.contact.email", "name": "user.name", "phone": "user.contact.phone", "lead_source": "user.behavior"},
	}
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func billingExempt() Outcome {
	until := bookkeeping
	return Outcome{
		ConnectorID: "billing-invoices", Owner: "Example Billing AS", Role: connectors.RoleSubsidiary,
		Action: dsrflow.ActionErase, Status: connectors.StatusExempt,
		Counts: map[string]int{"erased": 2},
		Exemptions: []connectors.Exemption{{
			Dataset: "invoices", Basis: "legal_obligation", Detail: "Bookkeeping Act: 5 years",
			Categories: []string{"user.financial.invoice"}, Until: &until,
		}},
	}
}

func subsidiary(id, owner string, action dsrflow.Action, status connectors.Status) Outcome {
	return Outcome{ConnectorID: id, Owner: owner, Role: connectors.RoleSubsidiary, Action: action, Status: status}
}

func partner(status connectors.Status) Outcome {
	return Outcome{ConnectorID: "ad-partner", Owner: "Example Ad Partner Ltd", Role: connectors.RolePartner, Action: dsrflow.ActionNotify, Status: status}
}

func baseInput(t dsrflow.RequestType, s dsrflow.Status) Input {
	return Input{
		RequestID: "DSR-7Q2K-4M9P", Type: t, Country: "NO",
		Received: received, Due: due, Closed: closed, Status: s,
	}
}
