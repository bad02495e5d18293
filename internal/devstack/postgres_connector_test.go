package devstack_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/postgres"
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
        retain: {basis: legal_obligation, detail: "Bookkeeping Act: 5 years", years: 5, years_after: end_of_financial_year, from_column: issued_on}
`

const erpSchema = `
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, phone text);
CREATE INDEX ON customers (email);
CREATE TABLE invoices (id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers (id), amount numeric(10, 2) NOT NULL, issued_on date NOT NULL);
CREATE INDEX ON invoices (customer_id);
INSERT INTO customers (id, name, email, phone) VALUES (1, 'Jane Doe', 'jane.doe@example.com', '+47 400 00 000'), (2, 'Ola Nordmann', 'ola.nordmann@example.com', NULL);
INSERT INTO invoices (customer_id, amount, issued_on) VALUES (1, 120.00, '2025-01-31'), (2, 10.00, '2025-02-01');
`

// TestPostgresConnector: a connectors.yaml mapping a PostgreSQL database works in the dev stack next to
// the demo connectors, and alone with DSR_DEMO=0; access and erasure act on that database as the mapping
// says, through a role holding only what `starter connector grants` gives it, and the erasure's counts
// per table reach the audit log.
func TestPostgresConnector(t *testing.T) {
	for name, withDemo := range map[string]bool{"beside the demo": true, "DSR_DEMO=0": false} {
		t.Run(name, func(t *testing.T) { testPostgresConnector(t, withDemo) })
	}
}

func testPostgresConnector(t *testing.T, withDemo bool) {
	dsn := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(erpSchema); err != nil {
		t.Fatal(err)
	}
	reg, err := connectors.Parse([]byte(erpMapping), func(string) string { return dsn })
	if err != nil {
		t.Fatal(err)
	}
	erp, _ := reg.Get("erp")
	b := make([]byte, 6)
	rand.Read(b)
	role := "dsr_erp_" + hex.EncodeToString(b)
	if _, err := db.Exec(`CREATE ROLE ` + role + ` NOLOGIN NOSUPERUSER NOINHERIT;` + postgres.GrantScript(erp, role)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec(`DROP OWNED BY ` + role + `; DROP ROLE ` + role) })
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("options", "-c role="+role) // the test server's admin acts as the role
	u.RawQuery = q.Encode()
	roleDSN := u.String()

	cfg := testConfig(t, t.TempDir())
	cfg.Demo = withDemo
	cfg.Connectors = filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(cfg.Connectors, []byte(erpMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{Config: cfg, Getenv: func(k string) string {
		if k == "ERP_DSN" {
			return roleDSN
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
	jobs := jobsByConnector(v)
	if jobs["erp/access"].Status != "completed" {
		t.Fatalf("access jobs = %+v", v.Jobs)
	}
	if _, crm := jobs["crm/access"]; crm != withDemo {
		t.Fatalf("demo crm access job present: %v, want %v (jobs %+v)", crm, withDemo, v.Jobs)
	}
	if !withDemo && len(v.Jobs) != 1 {
		t.Fatalf("DSR_DEMO=0: jobs %+v, want the file's connector only", v.Jobs)
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
	var invoices, olaName, logged int
	_ = db.QueryRow(`SELECT count(*) FROM invoices WHERE customer_id = 1`).Scan(&invoices)
	_ = db.QueryRow(`SELECT count(*) FROM customers WHERE id = 2 AND name = 'Ola Nordmann'`).Scan(&olaName)
	_ = db.QueryRow(`SELECT count(*) FROM dsrflow_jobs WHERE job_id = $1`, id+":erp:erase").Scan(&logged)
	if invoices != 1 || olaName != 1 || logged != 1 {
		t.Fatalf("invoices kept %d (want 1), other customer untouched %d (want 1), job logged %d (want 1)", invoices, olaName, logged)
	}
	events, err := s.Store.ListAudit(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range events {
		if e.Actor == "connector:erp" && e.Detail["count.customers.masked"] == "1" && e.Detail["count.invoices.retained"] == "1" {
			audited = true
		}
	}
	if !audited {
		t.Fatalf("no audit event with the erp erasure's counts per table: %+v", events)
	}
}
