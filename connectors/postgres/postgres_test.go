package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// erpYAML is the mapping of issue 4, with withdraw_consent added.
const erpYAML = `connectors:
  - id: erp
    kind: postgres
    owner: Example Software AS
    role: subsidiary
    dsn_env: ERP_DSN
    actions: [access, erase, rectify, restrict, optout, withdraw_consent]
    identities: [email]
    datasets:
      - table: customers
        match: {email: email}
        categories: {name: user.name, email: user.contact.email, phone: user.contact.phone}
        erase: mask
        mask: {name: redact, email: hash, phone: nullify}
        rectify: [name, phone]
        restrict_column: restricted
        optout_column: marketing_opt_out
      - table: invoices
        match: {customer_id: customers.id}
        categories: {amount: user.financial.invoice, issued_on: user.financial.invoice}
        erase: retain
        retain: {basis: legal_obligation, detail: "Bookkeeping Act: 5 years", years: 5, years_after: end_of_financial_year, from_column: issued_on}
`

const schema = `
CREATE TABLE customers (
	id serial PRIMARY KEY,
	name text NOT NULL,
	email text,
	phone text,
	created_on date NOT NULL DEFAULT '2020-01-01',
	restricted boolean NOT NULL DEFAULT false,
	marketing_opt_out boolean NOT NULL DEFAULT false
);
CREATE TABLE invoices (
	id serial PRIMARY KEY,
	customer_id integer NOT NULL REFERENCES customers (id),
	amount numeric(10, 2) NOT NULL,
	issued_on date NOT NULL
);
CREATE INDEX ON invoices (customer_id);
INSERT INTO customers (id, name, email, phone) VALUES
	(1, 'Jane Doe', 'jane.doe@example.com', '+47 400 00 000'),
	(2, 'Ola Nordmann', 'ola.nordmann@example.com', '+47 411 11 111');
INSERT INTO invoices (customer_id, amount, issued_on) VALUES
	(1, 120.00, '2024-03-15'),
	(1, 80.50, '2025-01-31'),
	(2, 99.00, '2025-06-01');
`

var jane = dsrflow.Identity{Email: "jane.doe@example.com"}

// freshERP returns a database holding the schema (with the email index unless noIndex) and a handle
// on it for assertions.
func freshERP(t *testing.T, noIndex bool) (string, *sqlx.DB) {
	t.Helper()
	dsn := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ddl := schema + JobTableDDL(DefaultJobTable)
	if !noIndex {
		ddl += "CREATE INDEX ON customers (email);"
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	return dsn, db
}

// parseConnector parses a connectors.yaml holding the erp connector, with edit applied to erpYAML.
func parseConnector(t *testing.T, yaml string) connectors.Connector {
	t.Helper()
	reg, err := connectors.Parse([]byte(yaml), func(string) string { return "set" })
	if err != nil {
		t.Fatal(err)
	}
	c, ok := reg.Get("erp")
	if !ok {
		t.Fatal("erp missing")
	}
	return c
}

func openERP(t *testing.T, yaml, dsn string) *Connector {
	t.Helper()
	c, err := Open(context.Background(), parseConnector(t, yaml), func(name string) string {
		if name == "ERP_DSN" {
			return dsn
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func job(action dsrflow.Action, id dsrflow.Identity) connectors.Job {
	return connectors.Job{Protocol: connectors.ProtocolVersion, ID: connectors.JobID("r_1", "erp", action), RequestID: "r_1",
		Connector: "erp", Action: action, Identities: id, Deadline: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)}
}

// inRequest returns the job as another request would send it: its own job id.
func inRequest(j connectors.Job, requestID string) connectors.Job {
	j.RequestID, j.ID = requestID, connectors.JobID(requestID, j.Connector, j.Action)
	return j
}

func runJob(t *testing.T, c *Connector, j connectors.Job) connectors.Result {
	t.Helper()
	res, err := c.Run(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if res.JobID != j.ID {
		t.Fatalf("result for job %q, want %q", res.JobID, j.ID)
	}
	if err := res.Validate(j.ID); err != nil {
		t.Fatalf("result does not validate: %v (%+v)", err, res)
	}
	return res
}

type customer struct {
	ID         int     `db:"id"`
	Name       string  `db:"name"`
	Email      *string `db:"email"`
	Phone      *string `db:"phone"`
	Restricted bool    `db:"restricted"`
	OptOut     bool    `db:"marketing_opt_out"`
}

func customers(t *testing.T, db *sqlx.DB) []customer {
	t.Helper()
	var out []customer
	if err := db.Select(&out, `SELECT id, name, email, phone, restricted, marketing_opt_out FROM customers ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return out
}

func invoiceCount(t *testing.T, db *sqlx.DB) map[int]int {
	t.Helper()
	var rows []struct {
		Customer int `db:"customer_id"`
		N        int `db:"n"`
	}
	if err := db.Select(&rows, `SELECT customer_id, count(*) AS n FROM invoices GROUP BY customer_id`); err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, r := range rows {
		out[r.Customer] = r.N
	}
	return out
}

func ptr(s string) *string { return &s }

// olaUntouched asserts the other person's rows are as inserted.
func olaUntouched(t *testing.T, db *sqlx.DB) {
	t.Helper()
	want := customer{ID: 2, Name: "Ola Nordmann", Email: ptr("ola.nordmann@example.com"), Phone: ptr("+47 411 11 111")}
	cs := customers(t, db)
	if got := cs[len(cs)-1]; !reflect.DeepEqual(got, want) {
		t.Fatalf("the other person changed: %+v", got)
	}
	if n := invoiceCount(t, db)[2]; n != 1 {
		t.Fatalf("the other person has %d invoices, want 1", n)
	}
}

func TestAccess(t *testing.T) {
	dsn, db := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)
	if w := c.Warnings(); len(w) != 0 {
		t.Fatalf("warnings with every match column indexed: %v", w)
	}

	res := runJob(t, c, job(dsrflow.ActionAccess, jane))
	invoice := map[string]string{"amount": "user.financial.invoice", "issued_on": "user.financial.invoice"}
	want := connectors.Result{JobID: "r_1:erp:access", Status: connectors.StatusCompleted, Records: []connectors.Record{
		{Dataset: "customers",
			Fields:     map[string]string{"name": "Jane Doe", "email": "jane.doe@example.com", "phone": "+47 400 00 000"},
			Categories: map[string]string{"name": "user.name", "email": "user.contact.email", "phone": "user.contact.phone"}},
		{Dataset: "invoices", Fields: map[string]string{"amount": "120.00", "issued_on": "2024-03-15"}, Categories: invoice},
		{Dataset: "invoices", Fields: map[string]string{"amount": "80.50", "issued_on": "2025-01-31"}, Categories: invoice},
	}, Counts: map[string]int{"records": 3}, Datasets: []connectors.DatasetResult{
		{Dataset: "customers", Counts: map[string]int{"records": 1}},
		{Dataset: "invoices", Counts: map[string]int{"records": 2}},
	}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("access =\n%+v\nwant\n%+v", res, want)
	}

	// An authority disclosure asks for some categories only.
	j := job(dsrflow.ActionAccess, jane)
	j.Categories = []string{"user.contact.email"}
	res = runJob(t, c, j)
	if len(res.Records) != 1 || !reflect.DeepEqual(res.Records[0].Fields, map[string]string{"email": "jane.doe@example.com"}) {
		t.Fatalf("access limited to email = %+v", res.Records)
	}

	res = runJob(t, c, job(dsrflow.ActionAccess, dsrflow.Identity{Email: "nobody@example.com"}))
	if res.Status != connectors.StatusNotFound || len(res.Records) != 0 {
		t.Fatalf("unknown person = %+v", res)
	}
	// Identities the mapping does not match on find nothing, rather than everything.
	res = runJob(t, c, job(dsrflow.ActionAccess, dsrflow.Identity{Phone: "+47 400 00 000"}))
	if res.Status != connectors.StatusNotFound {
		t.Fatalf("phone only = %+v", res)
	}
	if got := customers(t, db)[0]; got.Name != "Jane Doe" || got.Restricted {
		t.Fatalf("access changed jane: %+v", got)
	}
	olaUntouched(t, db)
}

func TestEraseMasksAndRetains(t *testing.T) {
	dsn, db := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)

	res := runJob(t, c, job(dsrflow.ActionErase, jane))
	until := time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC) // latest invoice 2025-01-31: 5 years after the end of 2025
	want := connectors.Result{JobID: "r_1:erp:erase", Status: connectors.StatusCompleted,
		Counts: map[string]int{"deleted": 0, "masked": 1, "retained": 2},
		Exemptions: []connectors.Exemption{{Dataset: "invoices", Basis: "legal_obligation", Detail: "Bookkeeping Act: 5 years",
			Categories: []string{"user.financial.invoice"}, Until: &until}},
		Datasets: []connectors.DatasetResult{{Dataset: "customers", Counts: map[string]int{"masked": 1}}, {Dataset: "invoices", Counts: map[string]int{"retained": 2}}}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("erase =\n%+v (until %v)\nwant\n%+v", res, res.Exemptions, want)
	}
	sum := sha256.Sum256([]byte("jane.doe@example.com"))
	wantJane := customer{ID: 1, Name: "[redacted]", Email: ptr(hex.EncodeToString(sum[:])), Phone: nil}
	if got := customers(t, db)[0]; !reflect.DeepEqual(got, wantJane) {
		t.Fatalf("jane after erase = %+v, want %+v", got, wantJane)
	}
	if n := invoiceCount(t, db)[1]; n != 2 {
		t.Fatalf("jane's retained invoices = %d, want 2", n)
	}
	olaUntouched(t, db)

	// The same job again (its answer was lost): it reports what the first run did and changes nothing.
	if res := runJob(t, c, job(dsrflow.ActionErase, jane)); !reflect.DeepEqual(res, want) {
		t.Fatalf("second run of the job =\n%+v\nwant the first run's\n%+v", res, want)
	}
	if got := customers(t, db)[0]; !reflect.DeepEqual(got, wantJane) {
		t.Fatalf("jane after second erase = %+v", got)
	}
	// Another erasure request: the hashed email no longer matches, so nothing is found and nothing changes.
	if res := runJob(t, c, inRequest(job(dsrflow.ActionErase, jane), "r_2")); res.Status != connectors.StatusNotFound {
		t.Fatalf("second erasure request = %+v", res)
	}
	if got := customers(t, db)[0]; !reflect.DeepEqual(got, wantJane) {
		t.Fatalf("jane after second erasure request = %+v", got)
	}
}

func TestEraseMaskIsIdempotentWhenRowsStillMatch(t *testing.T) {
	dsn, db := freshERP(t, false)
	yaml := strings.NewReplacer("identities: [email]", "identities: [customer_id:erp]",
		"match: {email: email}", "match: {id: customer_id:erp}").Replace(erpYAML)
	c := openERP(t, yaml, dsn)
	j := job(dsrflow.ActionErase, dsrflow.Identity{CustomerIDs: map[string]string{"erp": "1"}})

	if res := runJob(t, c, j); res.Counts["masked"] != 1 {
		t.Fatalf("first erase = %+v", res)
	}
	first := customers(t, db)[0]
	// Another erasure request finds the masked row by its customer id, and changes nothing more.
	res := runJob(t, c, inRequest(j, "r_2"))
	if res.Status != connectors.StatusCompleted || !reflect.DeepEqual(res.Counts, map[string]int{"deleted": 0, "masked": 0, "retained": 2}) {
		t.Fatalf("second erase = %+v", res)
	}
	if got := customers(t, db)[0]; !reflect.DeepEqual(got, first) {
		t.Fatalf("second erase changed the row again: %+v, was %+v", got, first)
	}
	olaUntouched(t, db)
}

func TestEraseDeletesChildrenFirst(t *testing.T) {
	dsn, db := freshERP(t, false)
	yaml := strings.NewReplacer(
		"        erase: mask\n        mask: {name: redact, email: hash, phone: nullify}\n", "        erase: delete\n",
		"        erase: retain\n        retain: {basis: legal_obligation, detail: \"Bookkeeping Act: 5 years\", years: 5, years_after: end_of_financial_year, from_column: issued_on}\n", "        erase: delete\n",
	).Replace(erpYAML)
	c := openERP(t, yaml, dsn)

	res := runJob(t, c, job(dsrflow.ActionErase, jane))
	want := connectors.Result{JobID: "r_1:erp:erase", Status: connectors.StatusCompleted, Counts: map[string]int{"deleted": 3, "masked": 0, "retained": 0},
		Datasets: []connectors.DatasetResult{{Dataset: "customers", Counts: map[string]int{"deleted": 1}}, {Dataset: "invoices", Counts: map[string]int{"deleted": 2}}}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("erase = %+v, want %+v", res, want)
	}
	if cs := customers(t, db); len(cs) != 1 || cs[0].ID != 2 {
		t.Fatalf("customers left = %+v", cs)
	}
	if n := invoiceCount(t, db)[1]; n != 0 {
		t.Fatalf("jane's invoices left = %d", n)
	}
	ola := customers(t, db)[0]
	if ola.Name != "Ola Nordmann" || invoiceCount(t, db)[2] != 1 {
		t.Fatal("the other person was touched")
	}
	if res := runJob(t, c, job(dsrflow.ActionErase, jane)); !reflect.DeepEqual(res, want) {
		t.Fatalf("second run of the job = %+v, want the first run's", res)
	}
	if res := runJob(t, c, inRequest(job(dsrflow.ActionErase, jane), "r_2")); res.Status != connectors.StatusNotFound {
		t.Fatalf("second erasure request = %+v", res)
	}
}

func TestEraseExemptWhenEverythingIsRetained(t *testing.T) {
	dsn, db := freshERP(t, false)
	yaml := strings.Replace(erpYAML, "        erase: mask\n        mask: {name: redact, email: hash, phone: nullify}\n",
		"        erase: retain\n        retain: {basis: legal_claims, detail: \"Open dispute\", years: 3, years_after: date, from_column: created_on}\n", 1)
	c := openERP(t, yaml, dsn)

	res := runJob(t, c, job(dsrflow.ActionErase, jane))
	if res.Status != connectors.StatusExempt || !reflect.DeepEqual(res.Counts, map[string]int{"deleted": 0, "masked": 0, "retained": 3}) ||
		len(res.Exemptions) != 2 {
		t.Fatalf("erase = %+v", res)
	}
	if ex := res.Exemptions[0]; ex.Dataset != "customers" || ex.Basis != "legal_claims" || !ex.Until.Equal(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("customers exemption = %+v (until %v)", ex, ex.Until)
	}
	if ex := res.Exemptions[1]; ex.Dataset != "invoices" || !ex.Until.Equal(time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("invoices exemption = %+v (until %v)", ex, ex.Until)
	}
	if got := customers(t, db)[0]; got.Name != "Jane Doe" || *got.Email != "jane.doe@example.com" {
		t.Fatalf("retained row changed: %+v", got)
	}
}

func TestRectify(t *testing.T) {
	dsn, db := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)

	j := job(dsrflow.ActionRectify, jane)
	j.Corrections = map[string]string{"user.name": "Jane Smith", "user.contact.phone": "+47 422 22 222",
		"user.contact.email": "jane.smith@example.com", "user.shoe_size": "38"}
	res := runJob(t, c, j)
	want := connectors.Result{JobID: "r_1:erp:rectify", Status: connectors.StatusCompleted, Counts: map[string]int{"rectified": 1},
		Detail:   "not corrected, no rectifiable column holds: user.contact.email, user.shoe_size",
		Datasets: []connectors.DatasetResult{{Dataset: "customers", Counts: map[string]int{"rectified": 1}}}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("rectify = %+v, want %+v", res, want)
	}
	wantJane := customer{ID: 1, Name: "Jane Smith", Email: ptr("jane.doe@example.com"), Phone: ptr("+47 422 22 222")}
	if got := customers(t, db)[0]; !reflect.DeepEqual(got, wantJane) {
		t.Fatalf("jane after rectify = %+v", got)
	}
	olaUntouched(t, db)

	if res := runJob(t, c, j); !reflect.DeepEqual(res, want) {
		t.Fatalf("second run of the job = %+v, want the first run's", res)
	}
	if res := runJob(t, c, inRequest(j, "r_2")); res.Counts["rectified"] != 0 || res.Status != connectors.StatusCompleted {
		t.Fatalf("second rectification request = %+v", res)
	}

	j.Corrections = map[string]string{"user.contact.email": "jane.smith@example.com"}
	res = runJob(t, c, inRequest(j, "r_3"))
	if res.Status != connectors.StatusFailed || !strings.Contains(res.Detail, "user.contact.email") {
		t.Fatalf("rectify of nothing rectifiable = %+v", res)
	}
}

func TestRectifyIsOneTransaction(t *testing.T) {
	dsn, db := freshERP(t, false)
	yaml := strings.Replace(erpYAML, "        erase: retain\n", "        rectify: [amount]\n        erase: retain\n", 1)
	c := openERP(t, yaml, dsn)

	j := job(dsrflow.ActionRectify, jane)
	j.Corrections = map[string]string{"user.name": "Jane Smith", "user.financial.invoice": "a lot, Jane Doe"}
	_, err := c.Run(context.Background(), j)
	if err == nil {
		t.Fatal("no error for a value the amount column cannot hold")
	}
	if !strings.Contains(err.Error(), "table invoices") || !strings.Contains(err.Error(), "22P02") ||
		strings.Contains(err.Error(), "Jane") || strings.Contains(err.Error(), "a lot") {
		t.Fatalf("error = %v; want the table and code, no values", err)
	}
	if got := customers(t, db)[0]; got.Name != "Jane Doe" {
		t.Fatalf("customers changed although the job failed: %+v", got)
	}
}

func TestRestrictAndOptout(t *testing.T) {
	dsn, db := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)

	res := runJob(t, c, job(dsrflow.ActionRestrict, jane))
	if res.Status != connectors.StatusCompleted || !reflect.DeepEqual(res.Counts, map[string]int{"restricted": 1}) {
		t.Fatalf("restrict = %+v", res)
	}
	if res := runJob(t, c, inRequest(job(dsrflow.ActionRestrict, jane), "r_2")); !reflect.DeepEqual(res.Counts, map[string]int{"restricted": 0}) {
		t.Fatalf("second restrict = %+v", res)
	}
	res = runJob(t, c, job(dsrflow.ActionOptout, jane))
	if res.Status != connectors.StatusCompleted || !reflect.DeepEqual(res.Counts, map[string]int{"opted_out": 1}) {
		t.Fatalf("optout = %+v", res)
	}
	got := customers(t, db)[0]
	if !got.Restricted || !got.OptOut || got.Name != "Jane Doe" {
		t.Fatalf("jane = %+v", got)
	}
	olaUntouched(t, db)
	if res := runJob(t, c, inRequest(job(dsrflow.ActionOptout, dsrflow.Identity{Email: "nobody@example.com"}), "r_2")); res.Status != connectors.StatusNotFound {
		t.Fatalf("optout of an unknown person = %+v", res)
	}
}

func TestWithdrawConsent(t *testing.T) {
	dsn, db := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)

	j := job(dsrflow.ActionWithdrawConsent, jane)
	j.Purposes = []string{"profiling"}
	res := runJob(t, c, j)
	if res.Status != connectors.StatusFailed || !strings.Contains(res.Detail, "unsupported purposes") || !strings.Contains(res.Detail, "profiling") {
		t.Fatalf("withdraw profiling = %+v", res)
	}
	if customers(t, db)[0].OptOut {
		t.Fatal("an unsupported purpose set the opt-out")
	}

	j.Purposes = []string{"newsletter", "profiling"}
	res = runJob(t, c, j)
	if res.Status != connectors.StatusCompleted || res.Counts["opted_out"] != 1 || !strings.Contains(res.Detail, "profiling") {
		t.Fatalf("withdraw newsletter and profiling = %+v", res)
	}
	if !customers(t, db)[0].OptOut {
		t.Fatal("newsletter withdrawal did not set the opt-out")
	}
	olaUntouched(t, db)
}

func TestRunRefusesOtherJobs(t *testing.T) {
	dsn, _ := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)
	j := job(dsrflow.ActionAccess, jane)
	j.Connector = "crm"
	if _, err := c.Run(context.Background(), j); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Fatalf("job for another connector: %v", err)
	}
	j = job(dsrflow.ActionObject, jane)
	if _, err := c.Run(context.Background(), j); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Fatalf("unsupported action: %v", err)
	}
}

func TestOpenChecksTheSchema(t *testing.T) {
	dsn, db := freshERP(t, true)
	getenv := func(string) string { return dsn }
	open := func(t *testing.T, yaml string) (*Connector, error) {
		c, err := Open(context.Background(), parseConnector(t, yaml), getenv)
		if err == nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, err
	}

	c, err := open(t, erpYAML)
	if err != nil {
		t.Fatal(err)
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "connector erp: table customers: no index starts with match column email, so every request scans the whole table") {
		t.Fatalf("warnings = %q", w)
	}

	tests := []struct {
		name string
		from string
		to   string
		want string
	}{
		{"unknown table", "table: invoices", "table: invoice_lines", "connector erp: table invoice_lines: no such table"},
		{"unknown column", "optout_column: marketing_opt_out", "optout_column: marketing_optout", "connector erp: table customers: no column marketing_optout"},
		{"unknown linked column", "customers.id}", "customers.number}", "connector erp: table customers: no column number (linked from invoices.customer_id)"},
		{"nullify on NOT NULL", "name: redact", "name: nullify", "connector erp: table customers: column name is NOT NULL, so it cannot be masked with nullify"},
		{"flag not boolean", "restrict_column: restricted", "restrict_column: name", "connector erp: table customers: column name must be boolean, not text"},
		{"retain from a number", "from_column: issued_on", "from_column: amount", "connector erp: table invoices: retain.from_column amount must be a date or timestamp, not numeric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := strings.Replace(erpYAML, tt.from, tt.to, 1)
			if yaml == erpYAML {
				t.Fatalf("%q not in the mapping", tt.from)
			}
			_, err := open(t, yaml)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open error = %v, want %q", err, tt.want)
			}
		})
	}

	if _, err := db.Exec(`ALTER TABLE customers ALTER COLUMN email TYPE varchar(32)`); err != nil {
		t.Fatal(err)
	}
	_, err = open(t, erpYAML)
	if err == nil || !strings.Contains(err.Error(), "connector erp: table customers: column email holds at most 32 characters; mask hash writes 64") {
		t.Fatalf("Open error for a short hashed column = %v", err)
	}
}

func TestOpenHidesThePassword(t *testing.T) {
	conn := parseConnector(t, erpYAML)
	_, err := Open(context.Background(), conn, func(string) string {
		return "postgres://erp:s3cret-pw@127.0.0.1:1/erp?sslmode=disable&connect_timeout=2"
	})
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), "connector erp: connect to the database in ERP_DSN") {
		t.Fatalf("Open error = %v", err)
	}
}

func TestRedactPassword(t *testing.T) {
	for _, dsn := range []string{"postgres://u:pw-123@h/db", "host=h password=pw-123 dbname=db", "host=h password='pw-123' dbname=db"} {
		if got := redactPassword("bad thing near pw-123 here", dsn); strings.Contains(got, "pw-123") {
			t.Errorf("redactPassword(%q) = %q", dsn, got)
		}
	}
}

// TestOpenInAnotherSchema: the mapping is checked in the connection's current schema, whatever its name.
func TestOpenInAnotherSchema(t *testing.T) {
	dsn := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA "Erp"; SET search_path TO "Erp";` + schema + JobTableDDL(DefaultJobTable)); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", `-c search_path="Erp"`)
	u.RawQuery = q.Encode()
	c := openERP(t, erpYAML, u.String())
	if res := runJob(t, c, job(dsrflow.ActionErase, jane)); res.Counts["masked"] != 1 {
		t.Fatalf("erase = %+v", res)
	}
}
