package postgres

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// boundYAML is erpYAML matching customers also on phone and on their id (customer_id:erp), with a
// table of calls keyed by phone only: no link to customers, so only a phone number reaches it.
var boundYAML = strings.Replace(strings.Replace(erpYAML,
	"identities: [email]", "identities: [email, phone, customer_id:erp]", 1),
	"match: {email: email}", "match: {email: email, phone: phone, id: customer_id:erp}", 1) + `      - table: calls
        match: {phone: phone}
        categories: {phone: user.contact.phone, called_on: user.support.call}
        erase: delete
`

const callsDDL = `
CREATE TABLE calls (id serial PRIMARY KEY, phone text NOT NULL, called_on date NOT NULL);
CREATE INDEX ON calls (phone);
CREATE INDEX ON customers (phone);
INSERT INTO calls (phone, called_on) VALUES ('+47 400 00 000', '2025-02-03'), ('+47 411 11 111', '2025-04-05');
`

// verifiedJob is a job of a request verified by an emailed code: only the email is verified.
func verifiedJob(action dsrflow.Action, id dsrflow.Identity) connectors.Job {
	j := job(action, id)
	j.Verified = []string{dsrflow.IdentityEmail}
	return j
}

func openBound(t *testing.T) (*Connector, func() []customer) {
	t.Helper()
	dsn, db := freshERP(t, false)
	if _, err := db.Exec(callsDDL); err != nil {
		t.Fatal(err)
	}
	c := openERP(t, boundYAML, dsn)
	return c, func() []customer { olaUntouched(t, db); return customers(t, db) }
}

func holdsOla(res connectors.Result) bool {
	for _, rec := range res.Records {
		for _, v := range rec.Fields {
			if strings.Contains(v, "Ola") || strings.Contains(v, "ola.nordmann") || v == "+47 411 11 111" || v == "99.00" {
				return true
			}
		}
	}
	return false
}

// The attack of issue 14 on a database mapping: a request verified for attacker2@example.com with
// another customer's id, or phone number, reaches none of that customer's rows, and acts on none.
func TestForeignIdentifierIsAConflict(t *testing.T) {
	c, check := openBound(t)
	attacks := map[string]dsrflow.Identity{
		"customer id": {Email: "attacker2@example.com", CustomerIDs: map[string]string{"erp": "2"}},
		"phone":       {Email: "attacker2@example.com", Phone: "+47 411 11 111"},
		// Jane's own verified email does not make Ola's customer id hers.
		"jane with ola's id": {Email: "jane.doe@example.com", CustomerIDs: map[string]string{"erp": "2"}},
	}
	for name, id := range attacks {
		for _, action := range []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify} {
			j := verifiedJob(action, id)
			j.ID = connectors.JobID("r_"+strings.ReplaceAll(name, " ", "_"), "erp", action)
			if action == dsrflow.ActionRectify {
				j.Corrections = map[string]string{"user.name": "Mallory"}
			}
			res := runJob(t, c, j)
			if res.Status != connectors.StatusIdentityConflict || len(res.Records) != 0 || holdsOla(res) {
				t.Fatalf("%s, %s: %+v, want identity_conflict and nothing", name, action, res)
			}
			if strings.Contains(res.Detail, "attacker2") || strings.Contains(res.Detail, "411") {
				t.Fatalf("the detail quotes a value: %q", res.Detail)
			}
		}
	}
	cs := check() // Ola untouched
	if cs[0].Name != "Jane Doe" {
		t.Fatalf("jane changed: %+v", cs[0])
	}
}

// Extra identifiers of the verified person: her customer id confirms her row, and her phone number,
// which her row holds, also reaches the calls keyed by phone only (an extension).
func TestOwnExtraIdentifiersConfirmAndExtend(t *testing.T) {
	c, check := openBound(t)
	onlyEmail := runJob(t, c, verifiedJob(dsrflow.ActionAccess, jane))
	for _, rec := range onlyEmail.Records {
		if rec.Dataset == "calls" {
			t.Fatalf("calls reached without a phone: %+v", rec)
		}
	}

	own := dsrflow.Identity{Email: jane.Email, Phone: "+47 400 00 000", CustomerIDs: map[string]string{"erp": "1"}}
	res := runJob(t, c, verifiedJob(dsrflow.ActionAccess, own))
	if res.Status != connectors.StatusCompleted || holdsOla(res) {
		t.Fatalf("own identifiers: %+v", res)
	}
	calls := 0
	for _, rec := range res.Records {
		if rec.Dataset == "calls" {
			calls++
			if rec.Fields["called_on"] != "2025-02-03" {
				t.Fatalf("another person's call: %+v", rec)
			}
		}
	}
	if calls != 1 || res.Counts["records"] != len(onlyEmail.Records)+1 {
		t.Fatalf("calls = %d, records %d (email only %d): %+v", calls, res.Counts["records"], len(onlyEmail.Records), res)
	}

	// An extra identifier nobody holds neither conflicts nor adds.
	unknown := dsrflow.Identity{Email: jane.Email, Phone: "+47 499 99 999"}
	if res := runJob(t, c, verifiedJob(dsrflow.ActionAccess, unknown)); res.Status != connectors.StatusCompleted || len(res.Records) != len(onlyEmail.Records) {
		t.Fatalf("unknown phone: %+v", res)
	}

	// Erasure with the confirmed phone deletes her call, and nobody else's.
	erase := runJob(t, c, verifiedJob(dsrflow.ActionErase, own))
	if erase.Status != connectors.StatusCompleted || erase.Counts["deleted"] != 1 {
		t.Fatalf("erase: %+v", erase)
	}
	check()

	// A phone number not confirmed (the email finds nobody) reaching the calls alone is a conflict.
	stranger := dsrflow.Identity{Email: "attacker2@example.com", Phone: "+47 411 11 111"}
	if res := runJob(t, c, inRequest(verifiedJob(dsrflow.ActionAccess, stranger), "r_2")); res.Status != connectors.StatusIdentityConflict {
		t.Fatalf("stranger's phone: %+v", res)
	}
}
