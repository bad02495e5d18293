package workflows_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestWorkflowsLinkNoDrivers: the deterministic workflow package names the store's rows (root package)
// and the activities' contract (activities/act), never their implementations. Importing internal/store or
// activities again would link database drivers, Prometheus and the PostgreSQL connector into the
// workflow code (and let it call them): this fails instead.
func TestWorkflowsLinkNoDrivers(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot list the workflow package's dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := regexp.MustCompile(`lib/pq|sqlite|prometheus|connectors/postgres|^github\.com/dsrflow/dsrflow/(internal/store|activities)$`)
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps printed %d packages: %q", len(deps), out)
	}
	for _, p := range deps {
		if forbidden.MatchString(p) {
			t.Errorf("workflows depends on %s", p)
		}
	}
}
