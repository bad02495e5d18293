package postgres

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// loggedJobs returns the job table's rows: job id, action and the recorded result as text.
func loggedJobs(t *testing.T, db *sqlx.DB, table string) [][3]string {
	t.Helper()
	rows, err := db.Query(`SELECT job_id, action, result::text FROM ` + table + ` ORDER BY job_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]string
	for rows.Next() {
		var r [3]string
		if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestJobActsOnceUnderItsID: a job whose answer was lost (a crash after commit, a timeout) is run again
// by Temporal; the second run answers what the first did and changes nothing, even where the first
// run's effect would not stop a second one by itself (a row put back from a backup).
func TestJobActsOnceUnderItsID(t *testing.T) {
	dsn, db := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)
	first := runJob(t, c, job(dsrflow.ActionErase, jane))

	logged := loggedJobs(t, db, "dsrflow_jobs")
	if len(logged) != 1 || logged[0][0] != "r_1:erp:erase" || logged[0][1] != "erase" {
		t.Fatalf("job table = %q", logged)
	}
	for _, personal := range []string{"Jane", "jane", "example.com", "+47"} {
		if strings.Contains(logged[0][2], personal) {
			t.Fatalf("the recorded result holds personal data: %s", logged[0][2])
		}
	}
	if !strings.Contains(logged[0][2], `"masked": 1`) {
		t.Fatalf("recorded result = %s, want the counts", logged[0][2])
	}

	if _, err := db.Exec(`UPDATE customers SET name = 'Jane Doe', email = 'jane.doe@example.com', phone = '+47 400 00 000' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	again := runJob(t, c, job(dsrflow.ActionErase, jane))
	if !reflect.DeepEqual(again, first) {
		t.Fatalf("second run = %+v, want the first run's %+v", again, first)
	}
	if got := customers(t, db)[0]; got.Name != "Jane Doe" {
		t.Fatalf("the second run of the job changed the row: %+v", got)
	}
	if n := len(loggedJobs(t, db, "dsrflow_jobs")); n != 1 {
		t.Fatalf("job table holds %d rows after the second run, want 1", n)
	}
	// Access writes nothing, not even to the job table.
	runJob(t, c, job(dsrflow.ActionAccess, jane))
	if n := len(loggedJobs(t, db, "dsrflow_jobs")); n != 1 {
		t.Fatalf("job table holds %d rows after an access job, want 1", n)
	}
}

// TestSameJobAtOnce: the same job delivered twice at the same moment acts once; both runs answer alike.
func TestSameJobAtOnce(t *testing.T) {
	dsn, db := freshERP(t, false)
	yaml := strings.NewReplacer(
		"        erase: mask\n        mask: {name: redact, email: hash, phone: nullify}\n", "        erase: delete\n",
		"        erase: retain\n        retain: {basis: legal_obligation, detail: \"Bookkeeping Act: 5 years\", years: 5, years_after: end_of_financial_year, from_column: issued_on}\n", "        erase: delete\n",
	).Replace(erpYAML)
	c := openERP(t, yaml, dsn)

	var wg sync.WaitGroup
	results := make([]connectors.Result, 4)
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() { results[i], errs[i] = c.Run(context.Background(), job(dsrflow.ActionErase, jane)) })
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !reflect.DeepEqual(results[i], results[0]) || results[i].Counts["deleted"] != 3 {
			t.Fatalf("run %d = %+v, run 0 = %+v; want both to report the 3 rows deleted once", i, results[i], results[0])
		}
	}
	if n := len(loggedJobs(t, db, "dsrflow_jobs")); n != 1 {
		t.Fatalf("job table holds %d rows, want 1", n)
	}
}

// TestFailedJobIsNotRecorded: a job that fails changes nothing and is not logged, so it runs again once
// the cause is fixed.
func TestFailedJobIsNotRecorded(t *testing.T) {
	dsn, db := freshERP(t, false)
	yaml := strings.Replace(erpYAML, "        erase: retain\n", "        rectify: [amount]\n        erase: retain\n", 1)
	c := openERP(t, yaml, dsn)
	j := job(dsrflow.ActionRectify, jane)
	j.Corrections = map[string]string{"user.name": "Jane Smith", "user.financial.invoice": "not a number"}
	if _, err := c.Run(context.Background(), j); err == nil {
		t.Fatal("no error for a value the amount column cannot hold")
	}
	if logged := loggedJobs(t, db, "dsrflow_jobs"); len(logged) != 0 {
		t.Fatalf("a failed job was logged: %q", logged)
	}
	j = job(dsrflow.ActionWithdrawConsent, jane)
	j.Purposes = []string{"profiling"}
	if res := runJob(t, c, j); res.Status != connectors.StatusFailed {
		t.Fatalf("withdraw profiling = %+v", res)
	}
	j.Purposes = []string{"marketing"}
	if res := runJob(t, c, j); res.Status != connectors.StatusCompleted || res.Counts["opted_out"] != 1 {
		t.Fatalf("the same job after the failed run = %+v", res)
	}
}

func TestOpenNeedsTheJobTable(t *testing.T) {
	dsn, db := freshERP(t, false)
	getenv := func(string) string { return dsn }
	if _, err := db.Exec(`DROP TABLE dsrflow_jobs`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), parseConnector(t, erpYAML), getenv)
	for _, want := range []string{"connector erp: job table dsrflow_jobs does not exist", "starter connector grants --connector erp", "CREATE TABLE IF NOT EXISTS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Open error = %v, want it to contain %q", err, want)
		}
	}

	// A connector that only reads needs none.
	readOnly := strings.Replace(erpYAML, "actions: [access, erase, rectify, restrict, optout, withdraw_consent]", "actions: [access]", 1)
	c, err := Open(context.Background(), parseConnector(t, readOnly), getenv)
	if err != nil {
		t.Fatalf("access-only connector: %v", err)
	}
	c.Close()

	// job_table names another table.
	if _, err := db.Exec(JobTableDDL("erp_dsr_log")); err != nil {
		t.Fatal(err)
	}
	c = openERP(t, strings.Replace(erpYAML, "    dsn_env: ERP_DSN\n", "    dsn_env: ERP_DSN\n    job_table: erp_dsr_log\n", 1), dsn)
	runJob(t, c, job(dsrflow.ActionRestrict, jane))
	if logged := loggedJobs(t, db, "erp_dsr_log"); len(logged) != 1 || logged[0][0] != "r_1:erp:restrict" {
		t.Fatalf("erp_dsr_log = %q", logged)
	}
}

// TestAccessStopsAtTheLimit: access returns at most access_limit rows per job and says, per dataset,
// where it stopped short.
func TestAccessStopsAtTheLimit(t *testing.T) {
	dsn, _ := freshERP(t, false)
	limited := func(n string) string {
		return strings.Replace(erpYAML, "    dsn_env: ERP_DSN\n", "    dsn_env: ERP_DSN\n    access_limit: "+n+"\n", 1)
	}
	datasets := func(res connectors.Result) []connectors.DatasetResult { return res.Datasets }

	// Jane has one customer row and two invoices: three rows fit a limit of three.
	res := runJob(t, openERP(t, limited("3"), dsn), job(dsrflow.ActionAccess, jane))
	if len(res.Records) != 3 || res.Detail != "" || countIf(datasets(res), func(d connectors.DatasetResult) bool { return d.Truncated }) != 0 {
		t.Fatalf("access with a limit of 3 = %+v", res)
	}

	res = runJob(t, openERP(t, limited("2"), dsn), job(dsrflow.ActionAccess, jane))
	want := []connectors.DatasetResult{
		{Dataset: "customers", Counts: map[string]int{"records": 1}},
		{Dataset: "invoices", Counts: map[string]int{"records": 1}, Truncated: true},
	}
	if len(res.Records) != 2 || !reflect.DeepEqual(res.Datasets, want) || res.Detail != "stopped at the access limit of 2 rows: invoices may hold more" {
		t.Fatalf("access with a limit of 2 = %+v", res)
	}

	// The limit reached in the first dataset: the linked one is marked too, its rows were not looked for.
	res = runJob(t, openERP(t, limited("1"), dsn), job(dsrflow.ActionAccess, jane))
	want = []connectors.DatasetResult{
		{Dataset: "customers", Counts: map[string]int{"records": 1}},
		{Dataset: "invoices", Counts: map[string]int{"records": 0}, Truncated: true},
	}
	if len(res.Records) != 1 || res.Records[0].Dataset != "customers" || !reflect.DeepEqual(res.Datasets, want) {
		t.Fatalf("access with a limit of 1 = %+v", res)
	}
}

// countIf counts the elements for which f is true.
func countIf[T any](s []T, f func(T) bool) int {
	n := 0
	for _, v := range s {
		if f(v) {
			n++
		}
	}
	return n
}
