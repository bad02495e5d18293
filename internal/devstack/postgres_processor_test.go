package devstack_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/postgres"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
)

// payrollDBMapping is a processor of kind postgres beside the demo: a payroll database holding the demo
// customers' tenants (Acme's and Nordlys's), Jane in both.
const payrollDBMapping = `connectors:
  - id: payroll-db
    kind: postgres
    owner: Example Payroll AS
    role: processor
    dsn_env: PAYROLL_DSN
    actions: [locate, access, erase]
    identities: [email]
    tenants: {t-acme: acme, t-nordlys: nordlys}
    datasets:
      - table: employees
        tenant_column: tenant_id
        match: {email: email}
        categories: {name: user.name, email: user.contact.email}
        erase: mask
        mask: {name: redact, email: hash}
      - table: payslips
        tenant_column: tenant_id
        match: {employee_id: employees.id}
        categories: {amount: user.employment.payroll}
        erase: delete
`

// pgSalary is Jane's pay in the payroll database: her answer must never hold it.
const pgSalary = "51234.56"

const payrollDBSchema = `
CREATE TABLE employees (id serial PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, email text);
CREATE INDEX ON employees (email);
CREATE TABLE payslips (id serial PRIMARY KEY, tenant_id text NOT NULL, employee_id integer NOT NULL REFERENCES employees (id), amount numeric(10, 2) NOT NULL);
CREATE INDEX ON payslips (employee_id);
INSERT INTO employees (id, tenant_id, name, email) VALUES (1, 't-acme', 'Jane Doe', 'jane.doe@example.com'), (2, 't-nordlys', 'Jane Doe', 'jane.doe@example.com');
INSERT INTO payslips (tenant_id, employee_id, amount) VALUES ('t-acme', 1, ` + pgSalary + `), ('t-nordlys', 2, ` + pgSalary + `);
`

// TestPostgresProcessorRoutes is issue 22 for a processor of kind postgres in the dev stack: Jane's
// access request locates her in both customer tenants of the database (beside the demo's http payroll),
// routes an item to each customer, answers naming them with none of the tenant's data, and Acme's
// `execute erase` acts in Acme's tenant only, through a role holding only what the generated grants give.
func TestPostgresProcessorRoutes(t *testing.T) {
	dsn := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(payrollDBSchema); err != nil {
		t.Fatal(err)
	}
	reg, err := connectors.Parse([]byte(payrollDBMapping), func(string) string { return dsn })
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := reg.Get("payroll-db")
	b := make([]byte, 6)
	rand.Read(b)
	role := "dsr_payroll_" + hex.EncodeToString(b)
	if _, err := db.Exec(`CREATE ROLE ` + role + ` NOLOGIN NOSUPERUSER NOINHERIT;` + postgres.GrantScript(conn, role)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec(`DROP OWNED BY ` + role + `; DROP ROLE ` + role) })
	u, _ := url.Parse(dsn)
	q := u.Query()
	q.Set("options", "-c role="+role)
	u.RawQuery = q.Encode()
	roleDSN := u.String()

	cfg := testConfig(t, t.TempDir())
	cfg.Connectors = filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(cfg.Connectors, []byte(payrollDBMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := devstack.Start(context.Background(), devstack.Options{Config: cfg, Getenv: func(k string) string {
		if k == "PAYROLL_DSN" {
			return roleDSN
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "called back on the number in our CRM"})
	v := c.waitStatus(id, "completed")
	for _, j := range v.Jobs {
		if j.Connector == "payroll-db" {
			t.Errorf("the processor ran a job of the subject's own request: %+v", j)
		}
	}
	items := map[string]dsrflow.RoutedItem{}
	for _, it := range routedOf(c, id) {
		items[it.Connector+"/"+it.Tenant] = it
	}
	if len(items) != 3 || items["payroll-db/t-acme"].Customer != "acme" || items["payroll-db/t-nordlys"].Customer != "nordlys" || items["payroll/t-acme"].ID == "" {
		t.Fatalf("routed items %+v, want payroll-db's two tenants and the demo payroll's Acme", items)
	}
	answer := c.answer(id)
	if !strings.Contains(answer, acmeName) || !strings.Contains(answer, "Nordlys Regnskap AS") || strings.Contains(answer, pgSalary) {
		t.Fatalf("the answer must name Acme and Nordlys and hold none of the tenants' data:\n%s", answer)
	}
	for name, body := range c.export(id) {
		if strings.Contains(body, pgSalary) || strings.Contains(name, "payroll-db") {
			t.Errorf("export file %s holds the tenant's data", name)
		}
	}

	it := items["payroll-db/t-acme"]
	if status, data := c.call("POST", "/api/v1/routed/"+it.ID+"/instruction", map[string]string{"instruction": "execute", "action": "erase"}); status != http.StatusAccepted {
		t.Fatalf("execute erase: %d %s", status, data)
	}
	waitFor(t, "the routed item executed", func() bool {
		for _, got := range routedOf(c, id) {
			if got.ID == it.ID {
				return got.State == dsrflow.RoutedExecuted
			}
		}
		return false
	})
	var inAcme, inNordlys string
	var acmePay, nordlysPay, logged int
	_ = db.QueryRow(`SELECT name FROM employees WHERE id = 1`).Scan(&inAcme)
	_ = db.QueryRow(`SELECT name FROM employees WHERE id = 2`).Scan(&inNordlys)
	_ = db.QueryRow(`SELECT count(*) FROM payslips WHERE tenant_id = 't-acme'`).Scan(&acmePay)
	_ = db.QueryRow(`SELECT count(*) FROM payslips WHERE tenant_id = 't-nordlys'`).Scan(&nordlysPay)
	_ = db.QueryRow(`SELECT count(*) FROM dsrflow_jobs WHERE job_id = $1`, connectors.JobID(id, "payroll-db.t-acme", dsrflow.ActionErase)).Scan(&logged)
	if inAcme != postgres.MaskRedacted || acmePay != 0 || inNordlys != "Jane Doe" || nordlysPay != 1 || logged != 1 {
		t.Fatalf("after Acme's erase: t-acme name %q payslips %d; t-nordlys name %q payslips %d (want untouched); job logged %d",
			inAcme, acmePay, inNordlys, nordlysPay, logged)
	}
	if m := mailOf(t, s, id, "routed_executed"); m.To != acmeContact {
		t.Fatalf("the confirmation went to %s, want Acme's contact", m.To)
	}
}
