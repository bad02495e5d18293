package manual_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	_ "github.com/dsrflow/dsrflow/connectors/kinds"
	"github.com/dsrflow/dsrflow/connectors/manual"
)

func TestManualConnector(t *testing.T) {
	reg, err := connectors.Parse([]byte(`connectors:
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
	tasks, ok := c.Settings.(connectors.Tasks)
	if !ok {
		t.Fatalf("manual connector's settings %+v give no task", c.Settings)
	}
	if ch, in := tasks.Task(); c.Kind != manual.Name || ch != "C01ARCHIVE" || !strings.HasPrefix(in, "Search the paper archive") {
		t.Fatalf("manual connector = %+v", c)
	}
	_, err = connectors.Parse([]byte(`connectors:
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
	if err == nil || !strings.Contains(err.Error(), "connectors.yaml:8: connector crm: field channel is for manual connectors, not http ones") {
		t.Fatalf("http connector with a channel: %v", err)
	}
	_, err = connectors.Parse([]byte(`connectors:
  - id: archive
    owner: Example Records AS
    role: subsidiary
    kind: manual
    channel: C01ARCHIVE
    instructions: Search the paper archive.
    actions: [access, purge]
    identities: [email]
    retention:
      - {category: user.name, age: 2 years, activity_field: last_seen}
`), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "connectors.yaml:10: connector archive: a manual connector has no retention sweeps") {
		t.Fatalf("manual connector with retention: %v", err)
	}
}

// A job that reaches a manual connector's runner (the workflow makes them tasks) goes to a person.
func TestManualRunnerRefuses(t *testing.T) {
	reg, err := connectors.NewRegistry(connectors.Connector{ID: "archive", Owner: "Example Records AS", Role: connectors.RoleSubsidiary,
		Actions: []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{"email"},
		Settings: manual.Settings{Channel: "C01ARCHIVE", Instructions: "Search."}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("archive")
	r, err := connectors.Open(context.Background(), c, connectors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ce *connectors.CallError
	if _, err := r.Run(context.Background(), connectors.Job{ID: "r:archive:access"}); !errors.As(err, &ce) || !ce.Permanent {
		t.Fatalf("Run = %v, want a permanent CallError", err)
	}
}
