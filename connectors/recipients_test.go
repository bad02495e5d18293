package connectors_test

import (
	"strings"
	"testing"

	. "github.com/dsrflow/dsrflow/connectors"
)

// TestRecipientsNamePartners: a subsidiary's recipients must name partner connectors of the same
// file; the registry answers which partners received the data of the systems that hold a subject.
func TestRecipientsNamePartners(t *testing.T) {
	withRecipients := strings.Replace(validYAML, "    timeout: 10s\n", "    timeout: 10s\n    recipients: [adpartner]\n", 1)
	reg, err := Parse([]byte(withRecipients), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	got := func(holders ...string) []string {
		var ids []string
		for _, c := range reg.RecipientsOf(holders) {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if ids := got("crm"); len(ids) != 1 || ids[0] != "adpartner" {
		t.Errorf("RecipientsOf(crm) = %v, want [adpartner]", ids)
	}
	if ids := got("billing"); len(ids) != 0 {
		t.Errorf("RecipientsOf(billing) = %v: billing shares with nobody", ids)
	}
	if ids := got(); len(ids) != 0 {
		t.Errorf("RecipientsOf() = %v: a subject held nowhere was given to nobody", ids)
	}

	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown", strings.Replace(withRecipients, "[adpartner]", "[adnetwork]", 1), `connectors.yaml:12: connector crm: recipients: "adnetwork" is not a configured connector (it must name a partner connector)`},
		{"a subsidiary", strings.Replace(withRecipients, "[adpartner]", "[billing]", 1), "connectors.yaml:12: connector crm: recipients: billing is a subsidiary, not a partner connector"},
		{"twice", strings.Replace(withRecipients, "[adpartner]", "[adpartner, adpartner]", 1), "recipients: adpartner listed twice"},
		{"not a list", strings.Replace(withRecipients, "[adpartner]", "adpartner", 1), "recipients must be a list"},
	} {
		_, err := Parse([]byte(tc.yaml), testEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
