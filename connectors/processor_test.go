package connectors_test

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	. "github.com/dsrflow/dsrflow/connectors"
)

const processorYAML = `connectors:
  - id: payroll
    owner: Example Payroll AS
    role: processor
    kind: http
    url: http://127.0.0.1:9101/payroll
    secret_env: CRM_SECRET
    actions: [locate, access, erase]
    identities: [email]
`

// A processor is found by the identities it matches on (activities.Connectors.Select keeps it out of a
// subject's own fan-out).
func TestProcessorRole(t *testing.T) {
	reg, err := Parse([]byte(validYAML+processorYAML[len("connectors:\n"):]), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	jane := dsrflow.Identity{Email: "jane@example.com"}
	procs := reg.Processors(jane)
	if len(procs) != 1 || procs[0].ID != "payroll" {
		t.Fatalf("Processors = %v, want payroll", procs)
	}
	if got := reg.Processors(dsrflow.Identity{Phone: "+4740000000"}); len(got) != 0 {
		t.Fatalf("Processors for a phone = %v, want none (payroll matches on email)", got)
	}
}

func TestProcessorValidation(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"no locate":              {strings.Replace(processorYAML, "[locate, access, erase]", "[access, erase]", 1), "a processor must list locate"},
		"optout":                 {strings.Replace(processorYAML, "[locate, access, erase]", "[locate, optout]", 1), "a processor supports only locate"},
		"locate on a subsidiary": {strings.Replace(processorYAML, "role: processor", "role: subsidiary", 1), "locate is for processors"},
		"unknown role":           {strings.Replace(processorYAML, "role: processor", "role: controller", 1), "role must be subsidiary, partner or processor"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), testEnv)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "connectors.yaml:") {
				t.Fatalf("err = %v, want the file and line", err)
			}
		})
	}
}

// A locate result names tenants, never records.
func TestLocateResultCarriesNoRecords(t *testing.T) {
	res := Result{JobID: "j", Status: StatusCompleted, Tenants: []TenantHolding{{Tenant: "t1", Customer: "acme"}}}
	if err := res.Validate("j"); err != nil {
		t.Fatal(err)
	}
	res.Records = []Record{{Dataset: "employees", Fields: map[string]string{"name": "x"}}}
	if err := res.Validate("j"); err == nil {
		t.Fatal("a locate result with records validated")
	}
}

const customersYAML = `customers:
  - id: acme
    legal_name: Acme Manufacturing AS
    email: privacy@acme.example
    dpa_deadline_days: 10
    language: nb
  - id: globex
    legal_name: Globex Ltd
    email: dpo@globex.example
    callback_url: https://dsr.globex.example/v1/jobs
    secret_env: CRM_SECRET
    dpa_deadline_days: 5
`

func TestCustomers(t *testing.T) {
	cs, err := ParseCustomers([]byte(customersYAML), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	acme, ok := cs.Get("acme")
	if !ok || acme.LegalName != "Acme Manufacturing AS" || acme.DeadlineDays != 10 || acme.Language != "nb" {
		t.Fatalf("acme = %+v", acme)
	}
	globex, _ := cs.Get("globex")
	if globex.Language != "en" || len(globex.Secret) < MinSecretBytes {
		t.Fatalf("globex = language %q, secret of %d bytes; want en and the secret from secret_env", globex.Language, len(globex.Secret))
	}
	if ids := []string{cs.List()[0].ID, cs.List()[1].ID}; ids[0] != "acme" || ids[1] != "globex" {
		t.Fatalf("List = %v", ids)
	}
}

func TestCustomersValidation(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"deadline":      {strings.Replace(customersYAML, "dpa_deadline_days: 10", "dpa_deadline_days: 0", 1), "dpa_deadline_days must be between 1 and 60"},
		"email":         {strings.Replace(customersYAML, "privacy@acme.example", "privacy", 1), "email must be the privacy contact's address"},
		"language":      {strings.Replace(customersYAML, "language: nb", "language: de", 1), "language must be one of"},
		"unknown field": {strings.Replace(customersYAML, "language: nb", "lang: nb", 1), "unknown field"},
		"secret":        {strings.Replace(customersYAML, "CRM_SECRET", "SHORT", 1), "secret must be at least"},
		"http callback": {strings.Replace(customersYAML, "https://dsr.globex", "http://dsr.globex", 1), "callback_url must be an https URL"},
		"legal name":    {strings.Replace(customersYAML, "Globex Ltd", `""`, 1), "legal_name is required"},
		"duplicate":     {strings.Replace(customersYAML, "id: globex", "id: acme", 1), "duplicate id"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCustomers([]byte(c.yaml), testEnv)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}
