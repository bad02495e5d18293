package connectors

import (
	"strings"
	"testing"
)

func TestManualConnector(t *testing.T) {
	reg, err := Parse([]byte(`connectors:
  - id: archive
    owner: Example Records AS
    role: subsidiary
    kind: manual
    channel: C01ARCHIVE
    instructions: Search the paper archive by name and customer number.
    actions: [access, erase]
    identities: [email, name]
`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("archive")
	if c.Kind != KindManual || c.Channel != "C01ARCHIVE" || !strings.HasPrefix(c.Instructions, "Search the paper archive") {
		t.Fatalf("manual connector = %+v", c)
	}
	_, err = Parse([]byte(`connectors:
  - id: crm
    owner: Example AS
    role: subsidiary
    kind: http
    url: https://crm.example.com/dsr
    secret_env: CRM_SECRET
    channel: C01CRM
    actions: [access]
    identities: [email]
`), func(string) string { return strings.Repeat("s", 32) })
	if err == nil || !strings.Contains(err.Error(), "connectors.yaml:8: connector crm: channel is for manual connectors") {
		t.Fatalf("http connector with a channel: %v", err)
	}
}
