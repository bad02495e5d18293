package devstack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
)

// erpMapping maps a subsidiary's PostgreSQL database (issue 4's example): customers masked on erasure,
// their invoices retained for bookkeeping.
const erpMapping = `connectors:
  - id: erp
    kind: postgres
    owner: Example Software AS
    role: subsidiary
    dsn_env: ERP_DSN
    actions: [access, erase]
    identities: [email]
    datasets:
      - table: customers
        match: {email: email}
        categories: {name: user.name, email: user.contact.email, phone: user.contact.phone}
        erase: mask
        mask: {name: redact, email: hash, phone: nullify}
      - table: invoices
        match: {customer_id: customers.id}
        categories: {amount: user.financial.invoice, issued_on: user.financial.invoice}
        erase: retain
        retain: {basis: legal_obligation, detail: "Bookkeeping Act: 5 years", years: 5, from_column: issued_on}
`

const erpSchema = `
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, phone text);
CREATE INDEX ON customers (email);
CREATE TABLE invoices (id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers (id), amount numeric(10, 2) NOT NULL, issued_on date NOT NULL);
CREATE INDEX ON invoices (customer_id);
INSERT INTO customers (id, name, email, phone) VALUES (1, 'Jane Doe', 'jane.doe@example.com', '+47 400 00 000'), (2, 'Ola Nordmann', 'ola.nordmann@example.com', NULL);
INSERT INTO invoices (customer_id, amount, issued_on) VALUES (1, 120.00, '2025-01-31'), (2, 10.00, '2025-02-01');
`

// TestPostgresConnectorBesideTheDemo: a connectors.yaml mapping a PostgreSQL database works in the dev
// stack next to the demo connectors; access and erasure act on that database as the mapping says.
func TestPostgresConnectorBesideTheDemo(t *testing.T) {
	dsn := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(erpSchema); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, t.TempDir())
	cfg.Connectors = filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(cfg.Connectors, []byte(erpMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{Config: cfg, Getenv: func(k string) string {
		if k == "ERP_DSN" {
			return dsn
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "video call"})
	v := c.waitStatus(id, "completed")
	if jobsByConnector(v)["erp/access"].Status != "completed" || jobsByConnector(v)["crm/access"].Status != "completed" {
		t.Fatalf("access jobs = %+v", v.Jobs)
	}
	if files := c.export(id); !strings.Contains(files["csv/erp/customers.csv"], "Jane Doe") || files["csv/erp/invoices.csv"] == "" {
		t.Fatalf("export lacks the erp data: %v", keys(files))
	}

	id = c.create(web.NewRequest{Type: "erasure", Email: jane, Attest: "video call"})
	v = c.waitStatus(id, "completed")
	if j := jobsByConnector(v)["erp/erase"]; j.Status != "completed" || len(j.Exemptions) != 1 || j.Exemptions[0].Basis != "legal_obligation" {
		t.Fatalf("erp erase = %+v", j)
	}
	var name string
	var phone *string
	if err := db.QueryRow(`SELECT name, phone FROM customers WHERE id = 1`).Scan(&name, &phone); err != nil {
		t.Fatal(err)
	}
	if name != "[redacted]" || phone != nil {
		t.Fatalf("jane after erasure: name %q phone %v", name, phone)
	}
	var invoices, olaName int
	_ = db.QueryRow(`SELECT count(*) FROM invoices WHERE customer_id = 1`).Scan(&invoices)
	_ = db.QueryRow(`SELECT count(*) FROM customers WHERE id = 2 AND name = 'Ola Nordmann'`).Scan(&olaName)
	if invoices != 1 || olaName != 1 {
		t.Fatalf("invoices kept %d (want 1), other customer untouched %d (want 1)", invoices, olaName)
	}
}
