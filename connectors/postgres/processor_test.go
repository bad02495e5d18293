package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// payrollYAML is a processor: a payroll service's database holding two customers' tenants, each row
// tagged with its tenant.
const payrollYAML = `connectors:
  - id: payroll
    kind: postgres
    owner: Example Payroll AS
    role: processor
    dsn_env: PAYROLL_DSN
    actions: [locate, access, erase, rectify, restrict]
    identities: [email]
    tenants:
      t-acme: acme
      t-nordlys: nordlys
    datasets:
      - table: employees
        tenant_column: tenant_id
        match: {email: email}
        categories: {name: user.name, email: user.contact.email}
        erase: mask
        mask: {name: redact, email: hash}
        rectify: [name]
        restrict_column: restricted
      - table: payslips
        tenant_column: tenant_id
        match: {employee_id: employees.id}
        categories: {amount: user.employment.payroll}
        erase: delete
`

// payrollSchema holds Jane in both tenants (the same address, as two employers hold it), Ola in Acme's.
const payrollSchema = `
CREATE TABLE employees (
	id serial PRIMARY KEY,
	tenant_id text NOT NULL,
	name text NOT NULL,
	email text,
	restricted boolean NOT NULL DEFAULT false
);
CREATE TABLE payslips (
	id serial PRIMARY KEY,
	tenant_id text NOT NULL,
	employee_id integer NOT NULL REFERENCES employees (id),
	amount numeric(10, 2) NOT NULL
);
CREATE INDEX ON employees (email);
CREATE INDEX ON payslips (employee_id);
INSERT INTO employees (id, tenant_id, name, email) VALUES
	(1, 't-acme', 'Jane Smith', 'jane@example.com'),
	(2, 't-acme', 'Ola Nordmann', 'ola@example.com'),
	(3, 't-nordlys', 'Jane Smith', 'jane@example.com');
INSERT INTO payslips (tenant_id, employee_id, amount) VALUES
	('t-acme', 1, 100.00), ('t-acme', 1, 110.00), ('t-acme', 2, 90.00), ('t-nordlys', 3, 200.00);
`

var janeAt = dsrflow.Identity{Email: "jane@example.com"}

func freshPayroll(t *testing.T) (string, *sqlx.DB) {
	t.Helper()
	dsn := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(payrollSchema + JobTableDDL(DefaultJobTable)); err != nil {
		t.Fatal(err)
	}
	return dsn, db
}

func payrollConnector(t *testing.T, yaml string) connectors.Connector {
	t.Helper()
	reg, err := connectors.Parse([]byte(yaml), func(string) string { return "set" })
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("payroll")
	return c
}

func openPayroll(t *testing.T, dsn string) *Connector {
	t.Helper()
	c, err := Open(context.Background(), payrollConnector(t, payrollYAML), func(string) string { return dsn })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// payrollJob is a job of request r_1 on the payroll processor; with a tenant, it is a routed item's
// execution, whose job id names the tenant as the routing activity's does.
func payrollJob(action dsrflow.Action, tenant string) connectors.Job {
	id := connectors.JobID("r_1", "payroll", action)
	if tenant != "" {
		id = connectors.JobID("r_1", "payroll."+tenant, action)
	}
	return connectors.Job{Protocol: connectors.ProtocolVersion, ID: id, RequestID: "r_1", Connector: "payroll", Action: action,
		Identities: janeAt, Verified: []string{"email"}, Tenant: tenant, Deadline: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)}
}

type payrollRow struct {
	ID         int    `db:"id"`
	Tenant     string `db:"tenant_id"`
	Name       string `db:"name"`
	Email      string `db:"email"`
	Restricted bool   `db:"restricted"`
	Payslips   int    `db:"payslips"`
}

func payrollRows(t *testing.T, db *sqlx.DB) []payrollRow {
	t.Helper()
	var rows []payrollRow
	if err := db.Select(&rows, `SELECT e.id, e.tenant_id, e.name, coalesce(e.email, '') AS email, e.restricted,
		(SELECT count(*) FROM payslips p WHERE p.employee_id = e.id) AS payslips FROM employees e ORDER BY e.id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Locate names both tenants holding Jane, each with its customer from tenants:, and no row of either.
func TestProcessorLocatesTenantsWithoutRecords(t *testing.T) {
	dsn, db := freshPayroll(t)
	c := openPayroll(t, dsn)
	res := runJob(t, c, payrollJob(dsrflow.ActionLocate, ""))
	want := []connectors.TenantHolding{{Tenant: "t-acme", Customer: "acme"}, {Tenant: "t-nordlys", Customer: "nordlys"}}
	if res.Status != connectors.StatusCompleted || !slices.Equal(res.Tenants, want) || len(res.Records) != 0 || len(res.Datasets) != 0 {
		t.Fatalf("locate = %+v, want tenants %v and no records", res, want)
	}
	if err := res.Validate(res.JobID); err != nil {
		t.Fatalf("the locate result breaks protocol v1: %v", err)
	}
	nobody := payrollJob(dsrflow.ActionLocate, "")
	nobody.Identities = dsrflow.Identity{Email: "nobody@example.com"}
	if res := runJob(t, c, nobody); res.Status != connectors.StatusNotFound || len(res.Tenants) != 0 {
		t.Fatalf("locate of nobody = %+v, want not_found", res)
	}
	// An unverified identity does not name a tenant: only the verified ones select.
	extra := payrollJob(dsrflow.ActionLocate, "")
	extra.Identities = dsrflow.Identity{Email: "nobody@example.com", Name: "Jane Smith"}
	extra.Verified = []string{"email"}
	if res := runJob(t, c, extra); res.Status != connectors.StatusNotFound {
		t.Fatalf("locate by an unverified name = %+v, want not_found", res)
	}

	// A tenant tenants: does not map fails the job for a person rather than being left out unsaid.
	if _, err := db.Exec(`UPDATE employees SET tenant_id = 't-unmapped' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	_, err := c.Run(context.Background(), inRequest(payrollJob(dsrflow.ActionLocate, ""), "r_2"))
	if dsrflow.ErrorCode(err) != dsrflow.EINVALID || !strings.Contains(err.Error(), "tenants: does not map") || strings.Contains(err.Error(), "jane") {
		t.Fatalf("locate with an unmapped tenant: %v, want refused naming tenants:, without the subject", err)
	}
}

// An instructed erase runs in the named tenant only: Jane goes from Acme's, and stays as she was in
// Nordlys's, payslips included; Ola, in Acme's, is untouched. A second run changes nothing more.
func TestProcessorEraseActsInOneTenantOnly(t *testing.T) {
	dsn, db := freshPayroll(t)
	c := openPayroll(t, dsn)
	before := payrollRows(t, db)
	res := runJob(t, c, payrollJob(dsrflow.ActionErase, "t-acme"))
	if res.Status != connectors.StatusCompleted || res.Counts["masked"] != 1 || res.Counts["deleted"] != 2 {
		t.Fatalf("erase in t-acme = %+v, want Jane's profile masked and her 2 payslips deleted", res)
	}
	after := payrollRows(t, db)
	if jane := after[0]; jane.Name != MaskRedacted || jane.Email == "" || jane.Email == "jane@example.com" || jane.Payslips != 0 {
		t.Errorf("Jane in t-acme after the erase: %+v", jane)
	}
	if after[1] != before[1] || after[2] != before[2] {
		t.Errorf("the erase in t-acme reached other rows:\nbefore %+v\nafter  %+v", before[1:], after[1:])
	}
	again := runJob(t, c, payrollJob(dsrflow.ActionErase, "t-acme"))
	if again.Status != res.Status || again.Counts["masked"] != 1 {
		t.Errorf("the same job again = %+v, want its recorded result", again)
	}

	// Locate still finds her in Nordlys's tenant: a masked row holds no address.
	loc := runJob(t, c, inRequest(payrollJob(dsrflow.ActionLocate, ""), "r_2"))
	if !slices.Equal(loc.Tenants, []connectors.TenantHolding{{Tenant: "t-nordlys", Customer: "nordlys"}}) {
		t.Errorf("locate after the erase in t-acme = %+v", loc.Tenants)
	}
}

// Access, rectify and restrict act in the named tenant only; a job that names no tenant (a subject's own
// request), or a tenant tenants: does not name, is refused and changes nothing.
func TestProcessorJobsStayInTheirTenant(t *testing.T) {
	dsn, db := freshPayroll(t)
	c := openPayroll(t, dsn)
	before := payrollRows(t, db)
	for _, j := range []connectors.Job{payrollJob(dsrflow.ActionAccess, ""), payrollJob(dsrflow.ActionErase, ""), payrollJob(dsrflow.ActionErase, "t-other")} {
		_, err := c.Run(context.Background(), j)
		if dsrflow.ErrorCode(err) != dsrflow.EINVALID {
			t.Errorf("%s in tenant %q: %v, want refused", j.Action, j.Tenant, err)
		}
	}
	if after := payrollRows(t, db); !slices.Equal(after, before) {
		t.Fatalf("a refused job changed rows: %+v", after)
	}

	res := runJob(t, c, payrollJob(dsrflow.ActionAccess, "t-nordlys"))
	if len(res.Records) != 2 || res.Counts["records"] != 2 {
		t.Fatalf("access in t-nordlys = %+v, want her profile and one payslip", res)
	}
	for _, rec := range res.Records {
		if rec.Fields["amount"] != "" && rec.Fields["amount"] != "200.00" {
			t.Errorf("access in t-nordlys returned another tenant's payslip: %+v", rec)
		}
	}

	rectify := payrollJob(dsrflow.ActionRectify, "t-nordlys")
	rectify.Corrections = map[string]string{"user.name": "Jane Doe"}
	if res := runJob(t, c, rectify); res.Counts["rectified"] != 1 {
		t.Fatalf("rectify in t-nordlys = %+v", res)
	}
	if res := runJob(t, c, payrollJob(dsrflow.ActionRestrict, "t-nordlys")); res.Counts["restricted"] != 1 {
		t.Fatalf("restrict in t-nordlys = %+v", res)
	}
	after := payrollRows(t, db)
	if after[2].Name != "Jane Doe" || !after[2].Restricted {
		t.Errorf("Jane in t-nordlys: %+v, want renamed and restricted", after[2])
	}
	if after[0] != before[0] || after[1] != before[1] {
		t.Errorf("jobs in t-nordlys changed t-acme: %+v", after[:2])
	}
}

// The generated script suffices for a processor: a fresh role granted by it opens the connector and runs
// locate and every instructed action; locate needs the tenant column, and no job table of its own.
func TestGrantedRoleRunsProcessorJobs(t *testing.T) {
	dsn, db := freshPayroll(t)
	if _, err := db.Exec(`DROP TABLE dsrflow_jobs`); err != nil {
		t.Fatal(err)
	}
	conn := payrollConnector(t, payrollYAML)
	script := GrantScript(conn, "r")
	for _, want := range []string{
		`GRANT SELECT ("email", "id", "name", "restricted", "tenant_id") ON TABLE "employees" TO "r";`,
		`GRANT SELECT ("amount", "employee_id", "tenant_id") ON TABLE "payslips" TO "r";`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %s:\n%s", want, script)
		}
	}
	role, roleDSN := withRole(t, dsn)
	if _, err := db.Exec(GrantScript(conn, role)); err != nil {
		t.Fatalf("apply the script: %v", err)
	}
	c := openPayroll(t, roleDSN)
	if res := runJob(t, c, payrollJob(dsrflow.ActionLocate, "")); len(res.Tenants) != 2 {
		t.Fatalf("locate as the granted role = %+v", res)
	}
	if res := runJob(t, c, payrollJob(dsrflow.ActionAccess, "t-acme")); len(res.Records) != 3 {
		t.Fatalf("access as the granted role = %+v", res)
	}
	rectify := payrollJob(dsrflow.ActionRectify, "t-acme")
	rectify.Corrections = map[string]string{"user.name": "Jane Doe"}
	for _, j := range []connectors.Job{rectify, payrollJob(dsrflow.ActionRestrict, "t-acme"), payrollJob(dsrflow.ActionErase, "t-acme")} {
		if res := runJob(t, c, j); res.Status != connectors.StatusCompleted {
			t.Fatalf("%s as the granted role = %+v", j.Action, res)
		}
	}

	// A processor that only locates writes nothing: no job table, nothing but SELECT.
	locateOnly := strings.Replace(payrollYAML, "actions: [locate, access, erase, rectify, restrict]", "actions: [locate]", 1)
	script = GrantScript(payrollConnector(t, locateOnly), "r")
	if strings.Contains(script, "dsrflow_jobs") || strings.Contains(script, "UPDATE") || strings.Contains(script, "DELETE") {
		t.Errorf("locate-only script:\n%s", script)
	}
}

// A processor's mapping errors name the connector, the line and the key.
func TestProcessorMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"no tenants", "    tenants:\n      t-acme: acme\n      t-nordlys: nordlys\n", "",
			"connectors.yaml:2: connector payroll: a processor of kind postgres needs tenants: (tenant id: customer id of customers.yaml)"},
		{"no tenant column", "        tenant_column: tenant_id\n        match: {employee_id", "        match: {employee_id",
			"connectors.yaml:21: connector payroll: dataset payslips: tenant_column is required"},
		{"bad tenant id", "      t-acme: acme", "      T Acme: acme",
			"connectors.yaml:10: connector payroll: tenants: tenant \"T Acme\" must match [a-z0-9_-]+"},
		{"customer not an id", "      t-nordlys: nordlys", "      t-nordlys: Nordlys AS",
			"connectors.yaml:11: connector payroll: tenants: tenant t-nordlys: customer \"Nordlys AS\" must be a customer id"},
		{"tenants not a mapping", "    tenants:\n      t-acme: acme\n      t-nordlys: nordlys\n", "    tenants: [t-acme]\n",
			"connectors.yaml:9: connector payroll: tenants must be a mapping of tenant id to customer id"},
		{"tenant column on a subsidiary", "role: processor\n", "role: subsidiary\n",
			"connectors.yaml:9: connector payroll: tenants are for processors (role: processor)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(payrollYAML, tc.from, tc.to, 1)
			if yaml == payrollYAML {
				t.Fatal("the edit changed nothing")
			}
			_, err := connectors.Parse([]byte(yaml), func(string) string { return "set" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error =\n%v\nwant it to contain\n%s", err, tc.want)
			}
		})
	}
	// A subsidiary's dataset has no tenant column.
	sub := strings.NewReplacer("role: processor\n", "role: subsidiary\n", "    tenants:\n      t-acme: acme\n      t-nordlys: nordlys\n", "",
		"actions: [locate, ", "actions: [").Replace(payrollYAML)
	_, err := connectors.Parse([]byte(sub), func(string) string { return "set" })
	if err == nil || !strings.Contains(err.Error(), "connectors.yaml:11: connector payroll: dataset employees: tenant_column is for processors (role: processor)") {
		t.Fatalf("tenant_column on a subsidiary: %v", err)
	}
}
