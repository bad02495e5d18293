package demo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// verifiedEmail marks a job as a request verified by an emailed code: only the email is verified.
func verifiedEmail(j *connectors.Job) { j.Verified = []string{dsrflow.IdentityEmail} }

// mentionsJohn reports whether any of John Roe's data is in the results.
func mentionsJohn(t *testing.T, results map[string]connectors.Result) bool {
	t.Helper()
	data, err := json.Marshal(results)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	return strings.Contains(s, "John Roe") || strings.Contains(s, johnEmail) || strings.Contains(s, "INV-1044") ||
		strings.Contains(s, "car insurance") || strings.Contains(s, "400 00 001")
}

// The attack of issue 14: an access request verified for attacker2@example.com, with John's billing
// customer id added, returned John's invoice. Now billing answers identity_conflict and nothing of John's
// comes back from any system.
func TestForeignCustomerIDIsAConflictNotJohnsInvoice(t *testing.T) {
	d := start(t, t.TempDir())
	attacker := dsrflow.Identity{Email: "attacker2@example.com", CustomerIDs: map[string]string{"billing": "B-john"}}
	got := everywhere(t, d, "req-attack", dsrflow.ActionAccess, attacker, verifiedEmail)
	if mentionsJohn(t, got) {
		t.Fatalf("John's data reached the attacker's request: %+v", got)
	}
	billing, ok := got["billing"]
	if !ok || billing.Status != connectors.StatusIdentityConflict || len(billing.Records) != 0 {
		t.Fatalf("billing = %+v (present %v), want identity_conflict without records", billing, ok)
	}
	if strings.Contains(billing.Detail, "B-john") || strings.Contains(billing.Detail, "attacker2") {
		t.Fatalf("the conflict's detail quotes an identifier: %q", billing.Detail)
	}
	for id, res := range got {
		if id != "billing" && res.Status != connectors.StatusNotFound {
			t.Errorf("%s: %+v, want not_found for an address nobody holds", id, res)
		}
	}

	// An erase job with the same identities touches nothing of John's.
	erased := everywhere(t, d, "req-attack-erase", dsrflow.ActionErase, attacker, verifiedEmail)
	if erased["billing"].Status != connectors.StatusIdentityConflict {
		t.Fatalf("billing erase = %+v", erased["billing"])
	}
	john := everywhere(t, d, "req-john", dsrflow.ActionAccess, dsrflow.Identity{Email: johnEmail}, verifiedEmail)
	if res := john["billing"]; res.Status != connectors.StatusCompleted || len(res.Records) != 1 {
		t.Fatalf("John's own billing access after the attack = %+v", res)
	}
}

// The phone variant: John's phone number with the attacker's verified address.
func TestForeignPhoneIsAConflict(t *testing.T) {
	d := start(t, t.TempDir())
	attacker := dsrflow.Identity{Email: "attacker2@example.com", Phone: "+47 400 00 001"}
	got := everywhere(t, d, "req-attack-phone", dsrflow.ActionAccess, attacker, verifiedEmail)
	if mentionsJohn(t, got) {
		t.Fatalf("John's data reached the attacker's request: %+v", got)
	}
	if res := got["crm"]; res.Status != connectors.StatusIdentityConflict || len(res.Records) != 0 {
		t.Fatalf("crm = %+v, want identity_conflict", res)
	}
}

// A legitimate extra identifier, the verified person's own, still works: Jane's own customer id and
// phone confirm her records, and she gets them.
func TestOwnExtraIdentifiersStillFindTheVerifiedPerson(t *testing.T) {
	d := start(t, t.TempDir())
	own := dsrflow.Identity{Email: janeEmail, Phone: "+47 400 00 000", CustomerIDs: map[string]string{"billing": "B-jane", "crm": "C-jane"}}
	got := everywhere(t, d, "req-jane-extra", dsrflow.ActionAccess, own, verifiedEmail)
	for _, id := range subsidiaries {
		if res := got[id]; res.Status != connectors.StatusCompleted || len(res.Records) == 0 {
			t.Errorf("%s: %+v", id, res)
		}
	}
	if mentionsJohn(t, got) {
		t.Fatal("John's data in Jane's answer")
	}
	if n := len(got["billing"].Records); n != 2 {
		t.Fatalf("billing returned %d invoices, want Jane's 2", n)
	}

	// Attested by an agent with every identifier verified, John's customer id selects on its own (the
	// agent vouched for it): the job is not a conflict but John's data, as the agent attested.
	attested := dsrflow.Identity{Email: janeEmail, CustomerIDs: map[string]string{"billing": "B-john"}}
	got = everywhere(t, d, "req-attested", dsrflow.ActionAccess, attested, func(j *connectors.Job) {
		j.Verified = attested.Types()
	})
	if res := got["billing"]; res.Status != connectors.StatusCompleted || len(res.Records) != 3 {
		t.Fatalf("attested billing = %+v", res)
	}
}
