package connectors_test

import (
	"strings"
	"testing"

	. "github.com/dsrflow/dsrflow/connectors"
)

// TestLimitsParse: max_concurrent, rate and burst are read for any kind but manual; a value that is not
// a positive number of the right sort stops the start, naming the line, the connector and the key.
func TestLimitsParse(t *testing.T) {
	limited := strings.Replace(validYAML, "    concurrency: 2\n", "    concurrency: 2\n    max_concurrent: 4\n    rate: 2.5\n    burst: 5\n", 1)
	reg, err := Parse([]byte(limited), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	crm, _ := reg.Get("crm")
	if want := (Limits{MaxConcurrent: 4, Rate: 2.5, Burst: 5}); crm.Limits != want {
		t.Fatalf("crm limits %+v, want %+v", crm.Limits, want)
	}
	billing, _ := reg.Get("billing")
	if billing.Limits.Bounded() {
		t.Fatalf("billing, which sets none, has limits %+v", billing.Limits)
	}
	if got := (Limits{Rate: 1}).BucketSize(); got != 1 {
		t.Fatalf("a rate without burst has a bucket of %d, want 1", got)
	}

	// Line 12 of validYAML is crm's concurrency: 2.
	replace := func(text string) string {
		lines := strings.Split(validYAML, "\n")
		lines[11] = text
		return strings.Join(lines, "\n")
	}
	for _, tc := range []struct{ line, want string }{
		{"    max_concurrent: 0", `connectors.yaml:12: connector crm: max_concurrent must be a positive whole number, not "0"`},
		{"    max_concurrent: 2.5", `connectors.yaml:12: connector crm: max_concurrent must be a positive whole number, not "2.5"`},
		{"    max_concurrent: [4]", `connectors.yaml:12: connector crm: max_concurrent must be a single value`},
		{"    rate: -1", `connectors.yaml:12: connector crm: rate must be a positive number of calls a second, like 5 or 0.5, not "-1"`},
		{"    rate: fast", `connectors.yaml:12: connector crm: rate must be a positive number of calls a second, like 5 or 0.5, not "fast"`},
		{"    rate: .inf", `connectors.yaml:12: connector crm: rate must be a positive number`},
		{"    burst: 10", `connectors.yaml:12: connector crm: burst needs rate: it is the size of the rate's bucket`},
		{"    burst: 0", `connectors.yaml:12: connector crm: burst must be a positive whole number, not "0"`},
	} {
		_, err := Parse([]byte(replace(tc.line)), testEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", strings.TrimSpace(tc.line), err, tc.want)
		}
	}

	manual := `connectors:
  - id: archive
    owner: Example Records AS
    role: subsidiary
    kind: manual
    channel: C01ARCHIVE
    actions: [access]
    identities: [email]
    rate: 1
`
	_, err = Parse([]byte(manual), testEnv)
	if want := "connectors.yaml:9: connector archive: max_concurrent and rate do not apply to a manual connector"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a manual connector with a rate: %v, want %q", err, want)
	}
}
