package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/secret"
)

const fileConnectors = `connectors:
  - id: %s
    owner: Example Software AS
    role: subsidiary
    kind: http
    url: http://127.0.0.1:9/erp
    secret_env: ERP_SECRET
    actions: [access, erase]
    identities: [email]
`

func TestFileConnectorsJoinTheDevStacksOwn(t *testing.T) {
	getenv := func(k string) string {
		if k == "ERP_SECRET" {
			return strings.Repeat("s", 32)
		}
		return ""
	}
	demo, err := connectors.NewRegistry(connectors.Connector{ID: "crm", Owner: "Example Marketing AS", Role: connectors.RoleSubsidiary, Kind: "http",
		Settings: httpkind.Settings{URL: "http://127.0.0.1:9/crm", Secret: []byte(strings.Repeat("d", 32))}, Actions: []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	write := func(id string) string {
		path := filepath.Join(t.TempDir(), "connectors.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(fileConnectors, "%s", id, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	base := Product{Key: secret.Key(strings.Repeat("k", 32)), Keys: nil, Connectors: demo}
	cfg := config.Product{Connectors: write("erp"), MasterKeys: "k1:" + strings.Repeat("A", 43) + "="}
	p, err := LoadProduct(cfg, getenv, base)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range p.Connectors.List() {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "crm,erp" {
		t.Fatalf("connectors = %v, want crm and erp", ids)
	}
	cfg.Connectors = write("crm")
	_, err = LoadProduct(cfg, getenv, base)
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || cfgErr.Var != "DSR_CONNECTORS" {
		t.Fatalf("a file connector with a demo connector's id: %v, want a DSR_CONNECTORS error", err)
	}
}

// TestRecordRetentionIsWhatTheSubjectIsTold: DSR_RECORD_RETENTION sets both the shredding period and the
// sentence in the answer; a controller configuration that tells subjects another period is refused.
func TestRecordRetentionIsWhatTheSubjectIsTold(t *testing.T) {
	for _, tc := range []struct {
		spec, controller string
		want             connectors.Age
		text, problem    string
	}{
		{spec: "", want: connectors.Age{Months: 36}, text: "3 years after the request closes"},
		{spec: "18 months", want: connectors.Age{Months: 18}, text: "18 months after the request closes"},
		{spec: "1 year", want: connectors.Age{Months: 12}, text: "1 year after the request closes"},
		{spec: "90d", want: connectors.Age{Days: 90}, text: "90 days after the request closes"},
		{spec: "2 years", controller: "2 years after the request closes", want: connectors.Age{Months: 24}, text: "2 years after the request closes"},
		{spec: "0d", problem: "above zero"},
		{spec: "forever", problem: "above zero"},
		{spec: "2 years", controller: "5 years after the request closes", problem: "make them agree"},
	} {
		p := Product{}
		p.Controller.RecordRetention = tc.controller
		err := p.setRecordRetention(tc.spec)
		if tc.problem != "" {
			var cfgErr *config.Error
			if !errors.As(err, &cfgErr) || cfgErr.Var != "DSR_RECORD_RETENTION" || !strings.Contains(cfgErr.Problem, tc.problem) {
				t.Errorf("%q with controller %q: %v, want a DSR_RECORD_RETENTION error saying %q", tc.spec, tc.controller, err, tc.problem)
			}
			continue
		}
		if err != nil || p.RecordRetention != tc.want || p.Controller.RecordRetention != tc.text {
			t.Errorf("%q: %+v %q %v, want %+v %q", tc.spec, p.RecordRetention, p.Controller.RecordRetention, err, tc.want, tc.text)
		}
	}
}

// A rest connector's categories were mapped by hand against a SaaS API: one the controller does not
// describe would reach the subject's answer unnamed, so the worker refuses to start.
func TestRestConnectorCategoriesMustBeDescribed(t *testing.T) {
	const rest = `connectors:
  - id: helpdesk
    owner: Example Support AS
    role: subsidiary
    kind: rest
    actions: [access]
    identities: [email]
    base_url: https://helpdesk.example.com
    datasets:
      - name: users
        read: {path: /users, query: {email: "{{email}}"}}
        fields: {email: user.contact.email, mood: %s}
`
	for cat, ok := range map[string]bool{"user.content": true, "user.horoscope": false} {
		path := filepath.Join(t.TempDir(), "connectors.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(rest, "%s", cat, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := config.Product{Connectors: path, MasterKeys: "k1:" + strings.Repeat("A", 43) + "="}
		_, err := LoadProduct(cfg, func(string) string { return "" }, Product{Key: secret.Key(strings.Repeat("k", 32))})
		var cfgErr *config.Error
		switch {
		case ok && err != nil:
			t.Errorf("%s: %v", cat, err)
		case !ok && (!errors.As(err, &cfgErr) || cfgErr.Var != "DSR_CONNECTORS" || !strings.Contains(err.Error(), "connector helpdesk dataset users: category user.horoscope is not described")):
			t.Errorf("%s: %v, want a DSR_CONNECTORS error naming connector and category", cat, err)
		}
	}
}

// Every kind is checked, not only rest: a postgres table mapping a column to a category the controller
// does not describe stops the worker, naming the connector, the table and the category.
func TestPostgresConnectorCategoriesMustBeDescribed(t *testing.T) {
	const pg = `connectors:
  - id: erp
    kind: postgres
    owner: Example Software AS
    role: subsidiary
    dsn_env: ERP_DSN
    actions: [access]
    identities: [email]
    datasets:
      - table: customers
        match: {email: email}
        categories: {email: user.contact.email, sign: %s}
`
	for cat, ok := range map[string]bool{"user.content": true, "user.horoscope": false} {
		path := filepath.Join(t.TempDir(), "connectors.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(pg, "%s", cat, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := config.Product{Connectors: path, MasterKeys: "k1:" + strings.Repeat("A", 43) + "="}
		_, err := LoadProduct(cfg, func(string) string { return "postgres://x" }, Product{Key: secret.Key(strings.Repeat("k", 32))})
		var cfgErr *config.Error
		switch {
		case ok && err != nil:
			t.Errorf("%s: %v", cat, err)
		case !ok && (!errors.As(err, &cfgErr) || cfgErr.Var != "DSR_CONNECTORS" || !strings.Contains(err.Error(), "connector erp dataset customers: category user.horoscope is not described")):
			t.Errorf("%s: %v, want a DSR_CONNECTORS error naming connector, dataset and category", cat, err)
		}
	}
}

// A postgres or rest processor maps its tenants to customers in connectors.yaml: a customer that
// customers.yaml does not list could never be told of a request, so the worker refuses to start, naming
// the connector, the tenant and the customer.
func TestProcessorTenantsNameListedCustomers(t *testing.T) {
	const pg = `connectors:
  - id: payroll
    kind: postgres
    owner: Example Payroll AS
    role: processor
    dsn_env: PAYROLL_DSN
    actions: [locate]
    identities: [email]
    tenants: {t-acme: %s}
    datasets:
      - table: employees
        tenant_column: tenant_id
        match: {email: email}
        categories: {email: user.contact.email}
`
	const customers = `customers:
  - id: acme
    legal_name: Acme Manufacturing Ltd
    email: privacy@acme.example
    dpa_deadline_days: 10
`
	dir := t.TempDir()
	custPath := filepath.Join(dir, "customers.yaml")
	if err := os.WriteFile(custPath, []byte(customers), 0o600); err != nil {
		t.Fatal(err)
	}
	for cust, ok := range map[string]bool{"acme": true, "globex": false} {
		path := filepath.Join(t.TempDir(), "connectors.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(pg, "%s", cust, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := config.Product{Connectors: path, Customers: custPath, MasterKeys: "k1:" + strings.Repeat("A", 43) + "="}
		_, err := LoadProduct(cfg, func(string) string { return "postgres://x" }, Product{Key: secret.Key(strings.Repeat("k", 32))})
		var cfgErr *config.Error
		switch {
		case ok && err != nil:
			t.Errorf("%s: %v", cust, err)
		case !ok && (!errors.As(err, &cfgErr) || cfgErr.Var != "DSR_CUSTOMERS" || !strings.Contains(err.Error(), "connector payroll: tenants: tenant t-acme names customer globex, which customers.yaml does not list")):
			t.Errorf("%s: %v, want a DSR_CUSTOMERS error naming connector, tenant and customer", cust, err)
		}
	}
}
