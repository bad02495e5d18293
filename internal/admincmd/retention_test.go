package admincmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/devstack"
)

// TestRetentionRunNowAndStatus drives the sweep's schedule on a dev stack as an operator would: status
// before any sweep, run-now, then status until the sweep completed.
func TestRetentionRunNowAndStatus(t *testing.T) {
	_, addr := startDevStack(t, devstack.Options{})
	env := map[string]string{"DSR_TEMPORAL_ADDR": addr}
	status := func() retentionState {
		t.Helper()
		code, out, errOut := runAdmin(t, env, "retention", "status", "--json")
		if code != 0 {
			t.Fatalf("retention status: exit %d, %s", code, errOut)
		}
		var st retentionState
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status is not JSON: %v\n%s", err, out)
		}
		return st
	}

	st := status()
	if st.Schedule != "dsrflow-retention" || st.Paused || len(st.Recent) != 0 || len(st.NextRuns) == 0 || st.NextRuns[0].UTC().Hour() != 3 {
		t.Fatalf("status before any sweep: %+v", st)
	}
	if code, out, errOut := runAdmin(t, env, "retention", "run-now"); code != 0 || !strings.Contains(out, "triggered") {
		t.Fatalf("run-now: exit %d, %q %q", code, out, errOut)
	}
	deadline := time.Now().Add(30 * time.Second)
	for st = status(); len(st.Recent) == 0 || st.Recent[0].Status != "completed"; st = status() {
		if time.Now().After(deadline) {
			t.Fatalf("the sweep did not complete: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.HasPrefix(st.Recent[0].WorkflowID, "dsrflow-retention-run") {
		t.Errorf("recent sweep %+v", st.Recent[0])
	}
	code, out, _ := runAdmin(t, env, "retention", "status")
	if code != 0 || !strings.Contains(out, "schedule dsrflow-retention: active") || !strings.Contains(out, "completed") || !strings.Contains(out, "next run") {
		t.Fatalf("status text: exit %d\n%s", code, out)
	}
}

func TestRetentionCommandsNeedAnAddress(t *testing.T) {
	code, _, errOut := runAdmin(t, map[string]string{"TEMPORAL_ADDRESS": "temporal"}, "retention", "status")
	if code != app.ExitConfig || !strings.Contains(errOut, "TEMPORAL_ADDRESS") {
		t.Fatalf("exit %d, %q; want exit 2 naming TEMPORAL_ADDRESS", code, errOut)
	}
}
