package postgres

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// leadsYAML maps marketing leads, deleted 24 months after their last activity (the privacy policy's
// promise), with notes linked to them; contacts are masked on erasure but hold no lead data.
const leadsYAML = `connectors:
  - id: erp
    kind: postgres
    owner: Example Software AS
    role: subsidiary
    dsn_env: ERP_DSN
    actions: [access, erase, purge]
    identities: [email]
    datasets:
      - table: contacts
        match: {email: email}
        categories: {email: user.contact.email}
        erase: mask
        mask: {email: hash}
      - table: leads
        match: {email: email}
        categories: {email: user.contact.email, interest: user.marketing.lead, last_activity: user.marketing.lead}
        erase: delete
      - table: lead_notes
        match: {lead_id: leads.id}
        categories: {note: user.content.comment}
        erase: delete
    retention:
      - category: user.marketing.lead
        age: 24 months
        activity_field: last_activity
`

const leadsSchema = `
CREATE TABLE contacts (id serial PRIMARY KEY, email text);
CREATE INDEX ON contacts (email);
CREATE TABLE leads (id serial PRIMARY KEY, email text, interest text, last_activity date);
CREATE INDEX ON leads (email);
CREATE TABLE lead_notes (id serial PRIMARY KEY, lead_id integer NOT NULL REFERENCES leads (id), note text);
CREATE INDEX ON lead_notes (lead_id);
INSERT INTO contacts (email) VALUES ('jane.doe@example.com');
INSERT INTO leads (id, email, interest, last_activity) VALUES
	(1, 'jane.doe@example.com', 'home insurance', '2023-08-02'),
	(2, 'ola.nordmann@example.com', 'car insurance', '2024-03-01'),
	(3, 'jane.doe@example.com', 'travel insurance', '2025-11-20'),
	(4, 'kari.nordmann@example.com', 'pet insurance', NULL);
INSERT INTO lead_notes (lead_id, note) VALUES (1, 'called twice'), (2, 'asked for a quote'), (3, 'trade fair');
`

func freshLeads(t *testing.T) (string, *sqlx.DB) {
	t.Helper()
	dsn := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(leadsSchema); err != nil {
		t.Fatal(err)
	}
	return dsn, db
}

func purgeJob(cutoff time.Time) connectors.Job {
	return connectors.Job{Protocol: connectors.ProtocolVersion, ID: connectors.JobID("retention-20260302", "erp", dsrflow.ActionPurge),
		RequestID: "retention-20260302", Connector: "erp", Action: dsrflow.ActionPurge, Cutoff: &cutoff,
		Categories: []string{"user.marketing.lead"}, Deadline: cutoff.AddDate(2, 1, 0)}
}

func ids(t *testing.T, db *sqlx.DB, table string) []int {
	t.Helper()
	var out []int
	if err := db.Select(&out, `SELECT id FROM `+table+` ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPurgeDeletesLeadsPastTheirPeriod: a sweep's purge job deletes the leads whose last activity is
// before the cutoff, with the notes linked to them, and keeps recent leads and leads of unknown activity.
func TestPurgeDeletesLeadsPastTheirPeriod(t *testing.T) {
	dsn, db := freshLeads(t)
	if _, err := db.Exec(JobTableDDL(DefaultJobTable)); err != nil {
		t.Fatal(err)
	}
	role, roleDSN := withRole(t, dsn)
	if _, err := db.Exec(GrantScript(parseConnector(t, leadsYAML), role)); err != nil {
		t.Fatal(err)
	}
	c := openERP(t, leadsYAML, roleDSN) // as a role holding only the generated GRANTs

	cutoff := connectors.Age{Months: 24}.Cutoff(time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)) // 2024-03-02
	res := runJob(t, c, purgeJob(cutoff))
	want := connectors.Result{JobID: "retention-20260302:erp:purge", Status: connectors.StatusCompleted, Counts: map[string]int{"purged": 4},
		Datasets: []connectors.DatasetResult{{Dataset: "leads", Counts: map[string]int{"deleted": 2}}, {Dataset: "lead_notes", Counts: map[string]int{"deleted": 2}}}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("purge =\n%+v\nwant\n%+v", res, want)
	}
	if got := ids(t, db, "leads"); !reflect.DeepEqual(got, []int{3, 4}) {
		t.Fatalf("leads left = %v, want the recent one and the one of unknown activity", got)
	}
	if got := ids(t, db, "lead_notes"); !reflect.DeepEqual(got, []int{3}) {
		t.Fatalf("notes left = %v", got)
	}
	if got := ids(t, db, "contacts"); len(got) != 1 {
		t.Fatalf("contacts (no lead data) = %v, want untouched", got)
	}
	// The sweep retried: the recorded answer, nothing more.
	if again := runJob(t, c, purgeJob(cutoff)); !reflect.DeepEqual(again, want) {
		t.Fatalf("second run = %+v", again)
	}
	// Tomorrow's sweep finds nothing more to purge.
	next := purgeJob(cutoff.AddDate(0, 0, 1))
	next.RequestID, next.ID = "retention-20260303", connectors.JobID("retention-20260303", "erp", dsrflow.ActionPurge)
	if res := runJob(t, c, next); res.Status != connectors.StatusCompleted || res.Counts["purged"] != 0 {
		t.Fatalf("next sweep = %+v", res)
	}
}

func TestPurgeMapping(t *testing.T) {
	dsn, _ := freshLeads(t)
	if !strings.Contains(GrantScript(parseConnector(t, leadsYAML), "r"), `GRANT DELETE ON TABLE "leads" TO "r"; -- erase: delete, purge: delete`) {
		t.Fatalf("script:\n%s", GrantScript(parseConnector(t, leadsYAML), "r"))
	}
	if !strings.Contains(GrantScript(parseConnector(t, leadsYAML), "r"), `GRANT SELECT ("email", "id", "interest", "last_activity") ON TABLE "leads" TO "r"; -- match, categories, linked from lead_notes, retention activity_field`) {
		t.Fatalf("script:\n%s", GrantScript(parseConnector(t, leadsYAML), "r"))
	}
	_, err := Open(context.Background(), parseConnector(t, strings.Replace(leadsYAML, "activity_field: last_activity", "activity_field: last_seen", 1)),
		func(string) string { return dsn })
	if err == nil || !strings.Contains(err.Error(), "connector erp: table leads: no column last_seen (the activity_field of a retention rule)") {
		t.Fatalf("Open with an unknown activity_field: %v", err)
	}
}

// TestPurgeLeavesRestrictedRows is issue 15's "retention sweeps skip restricted records" for a database
// dsrflow reaches itself, as the demo CRM does it: Jane's restricted lead past its period stays, with its
// note, and the purge counts it as restricted_kept; once the restriction is lifted (unrestrict), the next
// sweep deletes it. The connector runs as a role holding only the generated GRANTs. A connector that
// restricts and purges a dataset without a restrict_column is refused, naming the dataset.
func TestPurgeLeavesRestrictedRows(t *testing.T) {
	restrictYAML := strings.Replace(strings.Replace(leadsYAML, "actions: [access, erase, purge]", "actions: [access, erase, restrict, unrestrict, purge]", 1),
		"        erase: delete\n      - table: lead_notes", "        erase: delete\n        restrict_column: restricted\n      - table: lead_notes", 1)
	dsn, db := freshLeads(t)
	if _, err := db.Exec(`ALTER TABLE leads ADD COLUMN restricted boolean NOT NULL DEFAULT false; ` + JobTableDDL(DefaultJobTable)); err != nil {
		t.Fatal(err)
	}
	role, roleDSN := withRole(t, dsn)
	if _, err := db.Exec(GrantScript(parseConnector(t, restrictYAML), role)); err != nil {
		t.Fatal(err)
	}
	c := openERP(t, restrictYAML, roleDSN)
	jane := dsrflow.Identity{Email: "jane.doe@example.com"}

	if res := runJob(t, c, job(dsrflow.ActionRestrict, jane)); res.Status != connectors.StatusCompleted || res.Counts["restricted"] != 2 {
		t.Fatalf("restrict = %+v, want Jane's two leads restricted", res)
	}
	cutoff := connectors.Age{Months: 24}.Cutoff(time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)) // 2024-03-02
	res := runJob(t, c, purgeJob(cutoff))
	want := connectors.Result{JobID: "retention-20260302:erp:purge", Status: connectors.StatusCompleted, Counts: map[string]int{"purged": 2, "restricted_kept": 1},
		Datasets: []connectors.DatasetResult{{Dataset: "leads", Counts: map[string]int{"deleted": 1}}, {Dataset: "lead_notes", Counts: map[string]int{"deleted": 1}}}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("purge with Jane restricted =\n%+v\nwant\n%+v", res, want)
	}
	if got := ids(t, db, "leads"); !reflect.DeepEqual(got, []int{1, 3, 4}) {
		t.Fatalf("leads left = %v, want Jane's restricted lead 1 kept and only Ola's 2 deleted", got)
	}
	if got := ids(t, db, "lead_notes"); !reflect.DeepEqual(got, []int{1, 3}) {
		t.Fatalf("notes left = %v, want the restricted lead's note kept", got)
	}

	if res := runJob(t, c, inRequest(job(dsrflow.ActionUnrestrict, jane), "r_2")); res.Status != connectors.StatusCompleted || res.Counts["unrestricted"] != 2 {
		t.Fatalf("unrestrict = %+v, want Jane's two leads", res)
	}
	next := purgeJob(cutoff.AddDate(0, 0, 1))
	next.RequestID, next.ID = "retention-20260303", connectors.JobID("retention-20260303", "erp", dsrflow.ActionPurge)
	if res := runJob(t, c, next); res.Counts["purged"] != 2 || res.Counts["restricted_kept"] != 0 {
		t.Fatalf("sweep after the lift = %+v, want lead 1 and its note purged", res)
	}
	if got := ids(t, db, "leads"); !reflect.DeepEqual(got, []int{3, 4}) {
		t.Fatalf("leads left after the lift = %v", got)
	}

	noFlag := strings.Replace(restrictYAML, "        restrict_column: restricted\n", "", 1)
	noFlag = strings.Replace(noFlag, "categories: {email: user.contact.email}\n        erase: mask", "categories: {email: user.contact.email}\n        erase: mask\n        restrict_column: restricted", 1)
	_, err := connectors.Parse([]byte(noFlag), func(string) string { return "set" })
	if err == nil || !strings.Contains(err.Error(), "dataset leads: restrict_column is required") {
		t.Fatalf("a purged dataset without restrict_column: %v", err)
	}
}
