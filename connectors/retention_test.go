package connectors_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	. "github.com/dsrflow/dsrflow/connectors" // these tests were written inside the package
	"github.com/dsrflow/dsrflow/connectors/httpkind"
)

const retentionYAML = `connectors:
  - id: crm
    owner: Example Marketing AS
    role: subsidiary
    kind: http
    url: http://127.0.0.1:9101/crm
    secret_env: CRM_SECRET
    actions: [access, erase, purge]
    identities: [email]
    categories: [user.contact.email, user.marketing.lead]
    retention:
      - category: user.marketing.lead
        age: 24 months
        activity_field: last_activity
`

func TestParseRetention(t *testing.T) {
	reg, err := Parse([]byte(retentionYAML), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	crm, _ := reg.Get("crm")
	want := RetentionRule{Category: "user.marketing.lead", Age: Age{Months: 24}, ActivityField: "last_activity"}
	if len(crm.Retention) != 1 || crm.Retention[0] != want {
		t.Fatalf("retention = %+v, want [%+v]", crm.Retention, want)
	}
	// Months are calendar months, counted with AddDate: the same day and hour two years back.
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if got := crm.Retention[0].Age.Cutoff(now); !got.Equal(time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("cutoff = %s", got)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]Age{
		"24 months": {Months: 24}, "1 month": {Months: 1}, "2 years": {Months: 24}, "730d": {Days: 730}, "730 days": {Days: 730},
	} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24", "two years", "0d", "-3 months", "24 weeks", "1.5 years", "101 years", "1201 months"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
}

func TestRetentionErrorsNameTheLine(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(retentionYAML, "\n"), "\n")
	replace := func(n int, text string) string {
		out := append([]string(nil), lines...)
		out[n-1] = text
		return strings.Join(out, "\n") + "\n"
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"purge missing", replace(8, "    actions: [access, erase]"), "connectors.yaml:11: connector crm: a connector with retention rules must list purge in actions"},
		{"bad age", replace(13, "        age: 24 mnths"), `connectors.yaml:13: connector crm: retention #1: age "24 mnths" must be a whole number`},
		{"unknown field", replace(14, "        activity: last_activity"), `connectors.yaml:14: connector crm: retention #1: unknown field "activity"`},
		{"activity field missing", replace(14, "        # none"), "connectors.yaml:12: connector crm: retention #1: activity_field is required"},
		{"category not held", replace(12, "      - category: user.contact.phone"), "connectors.yaml:12: connector crm: retention #1: category user.contact.phone is not among the connector's categories"},
		{"bad category", replace(12, "      - category: Leads"), `connectors.yaml:12: connector crm: retention #1: category "Leads" must be dotted lower case`},
		{"not a list", strings.Join(lines[:10], "\n") + "\n    retention: 24 months\n", "connectors.yaml:11: connector crm: retention must be a list"},
		{"rule not a mapping", retentionYAML + "      - 24 months\n", "connectors.yaml:15: connector crm: retention #2: expected a mapping"},
		{"second rule, other age", retentionYAML + "      - {category: user.contact.email, age: 730d, activity_field: last_login}\n",
			"connectors.yaml:15: connector crm: retention #2: every rule of a connector must have the same age (24 months)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), testEnv)
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.yaml)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q\nwant it to contain %q", err, tt.want)
			}
			if tt.name == "bad age" && strings.Count(err.Error(), "\n") > 0 {
				t.Fatalf("a bad age is reported more than once: %q", err)
			}
		})
	}
}

func TestNewRegistryChecksRetention(t *testing.T) {
	c := Connector{ID: "crm", Owner: "Example Marketing AS", Role: RoleSubsidiary,
		Settings: httpkind.Settings{URL: "http://127.0.0.1:1/crm", Secret: []byte(strings.Repeat("s", 32))}, Actions: []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{"email"},
		Retention: []RetentionRule{{Category: "user.marketing.lead", ActivityField: "last_activity"}}}
	_, err := NewRegistry(c)
	if err == nil || !strings.Contains(err.Error(), "must list purge") || !strings.Contains(err.Error(), "age is required") {
		t.Fatalf("NewRegistry = %v", err)
	}
}
