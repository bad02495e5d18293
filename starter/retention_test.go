package main

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
)

// TestRetentionRunNowAndStatus drives the sweep's schedule on a dev stack as an operator would: status
// before any sweep, run-now, then status until the sweep completed.
func TestRetentionRunNowAndStatus(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{Config: config.Dev{DataDir: t.TempDir(), TemporalAddr: addr, HTTPAddr: "127.0.0.1:0", Demo: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	}()
	env := map[string]string{"DSR_TEMPORAL_ADDR": addr}
	status := func() retentionState {
		t.Helper()
		code, out, errOut := runStarter(t, env, "retention", "status", "--json")
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
	if code, out, errOut := runStarter(t, env, "retention", "run-now"); code != 0 || !strings.Contains(out, "triggered") {
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
	code, out, _ := runStarter(t, env, "retention", "status")
	if code != 0 || !strings.Contains(out, "schedule dsrflow-retention: active") || !strings.Contains(out, "completed") || !strings.Contains(out, "next run") {
		t.Fatalf("status text: exit %d\n%s", code, out)
	}
}

func TestRetentionCommandsNeedAnAddress(t *testing.T) {
	code, _, errOut := runStarter(t, map[string]string{"TEMPORAL_ADDRESS": "temporal"}, "retention", "status")
	if code != app.ExitConfig || !strings.Contains(errOut, "TEMPORAL_ADDRESS") {
		t.Fatalf("exit %d, %q; want exit 2 naming TEMPORAL_ADDRESS", code, errOut)
	}
}
