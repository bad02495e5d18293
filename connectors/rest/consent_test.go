package rest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// consentYAML is the fake CRM's connector with a withdraw_consent request per purpose: the contacts
// dataset records consent for email_marketing only, which the API calls "newsletter".
func consentYAML(url, withdraw string) string {
	y := strings.Replace(crmYAML(url, eraseByDelete), "actions: [access, erase, rectify, optout]", "actions: [access, erase, rectify, optout, withdraw_consent]", 1)
	return strings.Replace(y, "      - name: contacts_by_phone\n", withdraw+"      - name: contacts_by_phone\n", 1)
}

const withdrawPerPurpose = `        purposes: {email_marketing: newsletter}
        withdraw_consent:
          method: PATCH
          path: /v1/contacts/{{record.id}}
          body: {consent_withdrawn: "{{purpose}}"}
`

// TestWithdrawConsentPerPurpose: a withdraw_consent request naming {{purpose}} is sent per record for
// each purpose asked that the dataset records consent for, under the API's name for it; the result
// says per purpose what came of it, so the answer tells the subject which consents were withdrawn and
// which this system never held.
func TestWithdrawConsentPerPurpose(t *testing.T) {
	c, srv := newCRM(t)
	r := openYAML(t, consentYAML(srv.URL, withdrawPerPurpose), crmEnv)
	j := job(dsrflow.ActionWithdrawConsent, jane)
	j.Purposes = []string{"email_marketing", "profiling"}
	res, err := r.Run(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connectors.StatusCompleted || res.Counts["consent_withdrawn"] != 5 {
		t.Fatalf("result %v %v, want completed with 5 records", res.Status, res.Counts)
	}
	want := []connectors.ItemResult{{Item: "email_marketing", Outcome: connectors.ItemDone}, {Item: "profiling", Outcome: connectors.ItemNotHeld}}
	if len(res.Items) != 2 || res.Items[0] != want[0] || res.Items[1] != want[1] {
		t.Fatalf("items %+v, want %+v", res.Items, want)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	patched := 0
	for i, call := range c.calls {
		if strings.HasPrefix(call, "PATCH ") {
			patched++
			if got := string(c.bodies[i]); got != `{"consent_withdrawn":"newsletter"}` {
				t.Errorf("%s sent %s, want the API's name of the purpose", call, got)
			}
		}
	}
	if patched != 5 {
		t.Fatalf("%d PATCHes, want one per record for the one purpose held", patched)
	}
}

// TestWithdrawConsentWithoutPurpose: a request not naming {{purpose}} withdraws every consent of the
// record at once: every purpose asked counts as withdrawn.
func TestWithdrawConsentWithoutPurpose(t *testing.T) {
	_, srv := newCRM(t)
	r := openYAML(t, consentYAML(srv.URL, `        withdraw_consent:
          method: PATCH
          path: /v1/contacts/{{record.id}}
          body: {consent: false}
`), crmEnv)
	j := job(dsrflow.ActionWithdrawConsent, jane)
	j.Purposes = []string{"email_marketing", "profiling"}
	res, err := r.Run(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || res.Items[0].Outcome != connectors.ItemDone || res.Items[1].Outcome != connectors.ItemDone {
		t.Fatalf("items %+v, want both purposes withdrawn", res.Items)
	}
}

// TestPurposeReferenceChecked: {{purpose}} belongs to withdraw_consent only, purposes: to a dataset
// that withdraws consent, and its keys are purpose ids.
func TestPurposeReferenceChecked(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{strings.Replace(crmYAML("http://127.0.0.1:1", eraseByDelete), `body: {marketing: "off"}`, `body: {marketing: "{{purpose}}"}`, 1),
			"{{purpose}} is not an identity, record.FIELD"},
		{strings.Replace(crmYAML("http://127.0.0.1:1", eraseByDelete), "        optout:\n", "        purposes: {email_marketing: newsletter}\n        optout:\n", 1),
			"purposes: is for withdraw_consent, which the dataset does not give"},
		{consentYAML("http://127.0.0.1:1", strings.Replace(withdrawPerPurpose, "email_marketing", "Email Marketing", 1)),
			`purpose "Email Marketing" must be a purpose id of controller.yaml`},
	} {
		_, err := connectors.Parse([]byte(tc.yaml), func(k string) string { return crmEnv[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to contain %q", err, tc.want)
		}
	}
}
