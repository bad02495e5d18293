package postgres

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// keptYAML is erpYAML with purge_kept, and invoices that a legal hold can restrict.
var keptYAML = strings.Replace(strings.Replace(erpYAML,
	"actions: [access, erase, rectify, restrict, optout, withdraw_consent]", "actions: [access, erase, rectify, restrict, optout, withdraw_consent, purge_kept]", 1),
	"        erase: retain\n", "        restrict_column: restricted\n        erase: retain\n", 1)

// Kept invoices end on their own day (issue 16): an erasure reports each until-date of the Bookkeeping
// Act's five years after the end of the financial year with its rows' refs; purge_kept deletes exactly
// the named rows whose own period has ended, skips a restricted one (and does not confirm its ref), and
// leaves every other row, Jane's later invoice and Ola's invoices, as it was.
func TestPurgeKeptDeletesExactlyTheRowsPastTheirPeriod(t *testing.T) {
	dsn, db := freshERP(t, false)
	if _, err := db.Exec(`ALTER TABLE invoices ADD COLUMN restricted boolean NOT NULL DEFAULT false;
		INSERT INTO invoices (customer_id, amount, issued_on) VALUES (1, 45.00, '2024-07-01'), (2, 10.00, '2024-02-01');`); err != nil {
		t.Fatal(err)
	}
	c := openERP(t, keptYAML, dsn)

	erased := runJob(t, c, job(dsrflow.ActionErase, jane))
	var kept []connectors.Exemption
	for _, e := range erased.Exemptions {
		if e.Dataset == "invoices" {
			kept = append(kept, e)
		}
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	if len(kept) != 2 || kept[0].Until == nil || !kept[0].Until.Equal(day("2029-12-31")) || kept[1].Until == nil || !kept[1].Until.Equal(day("2030-12-31")) {
		t.Fatalf("kept invoices: %+v, want one exemption until 2029-12-31 (2024's two) and one until 2030-12-31 (2025's)", kept)
	}
	for _, e := range kept {
		if !strings.HasPrefix(e.Ref, keptRefPrefix) || strings.Contains(e.Ref, "jane") || strings.Contains(e.Ref, "@") {
			t.Fatalf("ref %q: want an opaque pg: ref", e.Ref)
		}
	}
	if n := strings.Count(kept[0].Ref, ",") + 1; n != 2 {
		t.Errorf("2024's exemption names %d rows, want 2", n)
	}

	// A legal hold restricts the July 2024 invoice.
	if _, err := db.Exec(`UPDATE invoices SET restricted = true WHERE issued_on = '2024-07-01'`); err != nil {
		t.Fatal(err)
	}
	invoices := func() []string {
		t.Helper()
		var out []string
		if err := db.Select(&out, `SELECT customer_id || ' ' || issued_on FROM invoices ORDER BY customer_id, issued_on`); err != nil {
			t.Fatal(err)
		}
		return out
	}
	purge := func(request string, cutoff time.Time, refs ...connectors.Exemption) connectors.Job {
		j := connectors.Job{Protocol: connectors.ProtocolVersion, ID: connectors.JobID(request, "erp", dsrflow.ActionPurgeKept), RequestID: request,
			Connector: "erp", Action: dsrflow.ActionPurgeKept, Cutoff: &cutoff, Deadline: cutoff.AddDate(0, 0, 7)}
		for _, e := range refs {
			j.Kept = append(j.Kept, connectors.KeptRef{Dataset: e.Dataset, Ref: e.Ref, Until: *e.Until})
		}
		return j
	}

	// On 1 January 2030 only 2024's invoices are past their period; the restricted one stays.
	res := runJob(t, c, purge("retention-20300101-kept", day("2030-01-01"), kept...))
	if res.Status != connectors.StatusCompleted || !reflect.DeepEqual(res.Counts, map[string]int{"purged": 1, "kept_refs": 0, "restricted_kept": 1}) {
		t.Fatalf("purge on 2030-01-01: %s %v %q, want 1 purged, 1 restricted kept, no ref confirmed", res.Status, res.Counts, res.Detail)
	}
	want := []string{"1 2024-07-01", "1 2025-01-31", "2 2024-02-01", "2 2025-06-01"}
	if got := invoices(); !slices.Equal(got, want) {
		t.Fatalf("invoices after the first purge: %v, want %v", got, want)
	}

	// The hold is lifted; on 1 January 2031 both periods have ended.
	if _, err := db.Exec(`UPDATE invoices SET restricted = false`); err != nil {
		t.Fatal(err)
	}
	res = runJob(t, c, purge("retention-20310101-kept", day("2031-01-01"), kept...))
	if res.Status != connectors.StatusCompleted || !reflect.DeepEqual(res.Counts, map[string]int{"purged": 2, "kept_refs": 2}) || res.Detail != "" {
		t.Fatalf("purge on 2031-01-01: %s %v %q, want 2 purged and both refs confirmed", res.Status, res.Counts, res.Detail)
	}
	if got := invoices(); !slices.Equal(got, []string{"2 2024-02-01", "2 2025-06-01"}) {
		t.Fatalf("invoices after the second purge: %v, want Ola's only", got)
	}
	// Run again (a retry), the job answers what it did.
	if again := runJob(t, c, purge("retention-20310101-kept", day("2031-01-01"), kept...)); again.Counts["kept_refs"] != 2 {
		t.Errorf("retried purge: %v", again.Counts)
	}

	// A ref the connector never gave is refused, and nothing is deleted.
	bogus := connectors.Exemption{Dataset: "invoices", Ref: "kept-0123", Until: kept[0].Until}
	res, err := c.Run(context.Background(), purge("retention-20320101-kept", day("2032-01-01"), bogus))
	if err != nil || res.Status != connectors.StatusFailed {
		t.Errorf("unknown ref: %+v %v, want failed", res, err)
	}
	if got := invoices(); len(got) != 2 {
		t.Errorf("invoices after a refused purge: %v", got)
	}
}

// purge_kept needs DELETE on the kept table and reads its restrict and from columns.
func TestPurgeKeptGrants(t *testing.T) {
	var del bool
	for _, g := range Grants(parseConnector(t, keptYAML)) {
		if g.Table == "invoices" && g.Privilege == "DELETE" && strings.Contains(g.Why, "purge_kept") {
			del = true
		}
		if g.Table == "invoices" && g.Privilege == "SELECT" && (!slices.Contains(g.Columns, "restricted") || !slices.Contains(g.Columns, "issued_on")) {
			t.Errorf("SELECT on invoices: %v, want restricted and issued_on", g.Columns)
		}
	}
	if !del {
		t.Error("no DELETE on invoices for purge_kept")
	}
}
