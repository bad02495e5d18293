package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// deleteYAML is erpYAML with both datasets erased by delete.
var deleteYAML = strings.NewReplacer(
	"        erase: mask\n        mask: {name: redact, email: hash, phone: nullify}\n", "        erase: delete\n",
	"        erase: retain\n        retain: {basis: legal_obligation, detail: \"Bookkeeping Act: 5 years\", years: 5, years_after: end_of_financial_year, from_column: issued_on}\n", "        erase: delete\n",
).Replace(erpYAML)

func TestGrantScript(t *testing.T) {
	script := GrantScript(parseConnector(t, erpYAML), "dsr_erp")
	for _, want := range []string{
		`CREATE TABLE IF NOT EXISTS "dsrflow_jobs"`,
		`REVOKE ALL ON TABLE "customers", "invoices", "dsrflow_jobs" FROM "dsr_erp";`,
		`GRANT SELECT ("email", "id", "marketing_opt_out", "name", "phone", "restricted") ON TABLE "customers" TO "dsr_erp";`,
		`GRANT UPDATE ("email", "marketing_opt_out", "name", "phone", "restricted") ON TABLE "customers" TO "dsr_erp"; -- mask on erase, optout_column, rectify, restrict_column`,
		`GRANT SELECT ("amount", "customer_id", "issued_on") ON TABLE "invoices" TO "dsr_erp";`,
		`GRANT SELECT ON TABLE "dsrflow_jobs" TO "dsr_erp"; -- job log`,
		`GRANT INSERT ON TABLE "dsrflow_jobs" TO "dsr_erp"; -- job log`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks\n%s\nscript:\n%s", want, script)
		}
	}
	// Retained invoices are only read; nothing is deleted under a mask or retain rule.
	if strings.Contains(script, `ON TABLE "invoices" TO "dsr_erp"; -- retain`) || strings.Contains(script, `UPDATE ("amount"`) ||
		strings.Contains(script, "GRANT DELETE") {
		t.Errorf("script grants more than the mapping needs:\n%s", script)
	}

	script = GrantScript(parseConnector(t, deleteYAML), "dsr_erp")
	for _, want := range []string{`GRANT DELETE ON TABLE "customers" TO "dsr_erp"; -- erase: delete`, `GRANT DELETE ON TABLE "invoices" TO "dsr_erp"; -- erase: delete`} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %s:\n%s", want, script)
		}
	}

	// An access-only connector reads; it needs no job table and no other privilege.
	readOnly := strings.Replace(erpYAML, "actions: [access, erase, rectify, restrict, optout, withdraw_consent]", "actions: [access]", 1)
	script = GrantScript(parseConnector(t, readOnly), "dsr_erp")
	if strings.Contains(script, "dsrflow_jobs") || strings.Contains(script, "UPDATE") || strings.Contains(script, "marketing_opt_out") {
		t.Errorf("access-only script:\n%s", script)
	}
}

// withRole creates a role without login or superuser rights in the database at dsn (the role is the
// cluster's: it is dropped when the test ends) and returns a URL that connects as that role.
func withRole(t *testing.T, dsn string) (role, roleDSN string) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	role = "dsr_role_" + hex.EncodeToString(b)
	admin, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE ROLE ` + role + ` NOLOGIN NOSUPERUSER NOINHERIT`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP OWNED BY ` + role)
		admin.Exec(`DROP ROLE ` + role)
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", "-c role="+role) // the test server's admin switches to the role for the session
	u.RawQuery = q.Encode()
	return role, u.String()
}

// TestGrantedRoleRunsEveryAction applies the generated script for a fresh role and runs every action as
// that role: the script grants enough, and the connector locks nothing it may not update.
func TestGrantedRoleRunsEveryAction(t *testing.T) {
	for name, yaml := range map[string]string{"mask and retain": erpYAML, "delete": deleteYAML} {
		t.Run(name, func(t *testing.T) {
			dsn, db := freshERP(t, false)
			if _, err := db.Exec(`DROP TABLE dsrflow_jobs`); err != nil { // the script creates it
				t.Fatal(err)
			}
			role, roleDSN := withRole(t, dsn)
			if _, err := db.Exec(GrantScript(parseConnector(t, yaml), role)); err != nil {
				t.Fatalf("apply the script: %v", err)
			}
			var current string
			c := openERP(t, yaml, roleDSN)
			if err := c.db.Get(&current, `SELECT current_user`); err != nil || current != role {
				t.Fatalf("connected as %q (%v), want %s", current, err, role)
			}

			if res := runJob(t, c, job(dsrflow.ActionAccess, jane)); len(res.Records) != 3 {
				t.Fatalf("access = %+v", res)
			}
			j := job(dsrflow.ActionRectify, jane)
			j.Corrections = map[string]string{"user.name": "Jane Smith"}
			if res := runJob(t, c, j); res.Counts["rectified"] != 1 {
				t.Fatalf("rectify = %+v", res)
			}
			for _, a := range []dsrflow.Action{dsrflow.ActionRestrict, dsrflow.ActionOptout} {
				if res := runJob(t, c, job(a, jane)); res.Status != connectors.StatusCompleted {
					t.Fatalf("%s = %+v", a, res)
				}
			}
			j = job(dsrflow.ActionWithdrawConsent, jane)
			j.Purposes = []string{"marketing"}
			if res := runJob(t, c, j); res.Status != connectors.StatusCompleted {
				t.Fatalf("withdraw_consent = %+v", res)
			}
			res := runJob(t, c, job(dsrflow.ActionErase, jane))
			if res.Status != connectors.StatusCompleted || res.Counts["masked"]+res.Counts["deleted"] == 0 {
				t.Fatalf("erase = %+v", res)
			}
			if again := runJob(t, c, job(dsrflow.ActionErase, jane)); again.Status != res.Status || again.Counts["retained"] != res.Counts["retained"] {
				t.Fatalf("second run of the erase = %+v", again)
			}
			olaUntouched(t, db)
		})
	}
}

// TestRoleWithoutGrants: a role that lacks a privilege the mapping needs stops the worker at start with
// an error naming connector, table, privilege and the command that prints the GRANTs; one that loses a
// privilege later fails the job naming connector and table, and changes nothing.
func TestRoleWithoutGrants(t *testing.T) {
	dsn, db := freshERP(t, false)
	role, roleDSN := withRole(t, dsn)
	getenv := func(string) string { return roleDSN }

	_, err := Open(context.Background(), parseConnector(t, erpYAML), getenv)
	for _, want := range []string{
		"connector erp: table customers: role " + role + " lacks SELECT on column email, id, marketing_opt_out, name, phone, restricted",
		"connector erp: table invoices: role " + role + " lacks SELECT on column amount, customer_id, issued_on",
		"connector erp: table dsrflow_jobs: role " + role + " lacks INSERT (needed for job log)",
		"`starter connector grants --connector erp --role " + role + "` prints the GRANTs",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open error =\n%v\nwant it to contain\n%s", err, want)
		}
	}

	// Granted what a mapping without erase needs, the role cannot mask.
	if _, err := db.Exec(GrantScript(parseConnector(t, erpYAML), role) + `REVOKE UPDATE (name) ON customers FROM ` + role); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), parseConnector(t, erpYAML), getenv)
	if err == nil || !strings.Contains(err.Error(), "connector erp: table customers: role "+role+" lacks UPDATE on column name (needed for mask on erase") {
		t.Fatalf("Open error = %v", err)
	}

	// All granted at start, then revoked: the job fails naming connector and table, nothing changes.
	if _, err := db.Exec(`GRANT UPDATE (name) ON customers TO ` + role); err != nil {
		t.Fatal(err)
	}
	c := openERP(t, erpYAML, roleDSN)
	if _, err := db.Exec(`REVOKE UPDATE (email) ON customers FROM ` + role); err != nil {
		t.Fatal(err)
	}
	_, err = c.Run(context.Background(), job(dsrflow.ActionErase, jane))
	if err == nil || !strings.Contains(err.Error(), "erase connector erp table customers: database error 42501 (insufficient_privilege)") {
		t.Fatalf("erase without UPDATE on email: %v", err)
	}
	if got := customers(t, db)[0]; got.Name != "Jane Doe" {
		t.Fatalf("a failed erase changed jane: %+v", got)
	}
}
