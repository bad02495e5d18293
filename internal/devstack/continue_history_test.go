package devstack_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// A request that continues as new on the real server: both runs replay, the one that handed its state
// on and the one that took it, and the request ends as one run would (one code mail, verified by that
// code in the second run). With DSR_RECORD_HISTORIES=DIR both histories are written there for
// workflows/testdata. The bound is lowered so that a short run reaches it.
func TestContinuedHistoriesReplay(t *testing.T) {
	defer func(n int, age time.Duration) {
		workflows.ContinueAsNewAfterEvents, workflows.ContinueAsNewMinRunAge = n, age
	}(workflows.ContinueAsNewAfterEvents, workflows.ContinueAsNewMinRunAge)
	workflows.ContinueAsNewAfterEvents, workflows.ContinueAsNewMinRunAge = 10, 0

	cfg := testConfig(t, t.TempDir())
	cfg.MasterKeys = keySpec("c", 3)
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	ctx := context.Background()

	id := c.create(web.NewRequest{Type: "access", Email: jane})
	c.waitStatus(id, "verifying")
	// The lowered bound is passed once the code is mailed, so the run continues as new at its wait for
	// the code; the extension wakes the next one, which continues again once its handler has finished.
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/extend", map[string]string{"reason": "the archive must be searched by hand"}); status != 200 {
		t.Fatalf("extend: %d %s", status, data)
	}
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": mailedCode(t, c, id)}); status != 200 {
		t.Fatalf("verify: %d %s", status, data)
	}
	view := c.waitStatus(id, "completed")
	if view.ExtendedDue == "" {
		t.Errorf("the extension did not survive the continue-as-new: %+v", view)
	}
	msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, m := range msgs {
		kinds[m.Kind]++
	}
	if kinds["verification_code"] != 1 || kinds["extension"] != 1 {
		t.Errorf("mail sent across the runs: %v, want one code and one extension notice", kinds)
	}

	// The runs, last to first: each run's start names the run it continued ("" is the latest).
	var runs []string
	for run := ""; ; {
		runs = append(runs, run)
		run = historyOfRun(t, s, id, run).Events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if run == "" {
			break
		}
	}
	if len(runs) < 2 {
		t.Fatalf("the request ran in %d run, want it to continue as new", len(runs))
	}
	slices.Reverse(runs)
	codec := payload.NewCodec(keys)
	dir := os.Getenv("DSR_RECORD_HISTORIES")
	for i, run := range runs {
		name := fmt.Sprintf("v%d_access_continued_run%d", workflows.RequestVersion, i+1)
		replayAndRecordRun(t, s, codec, dir, name, id, run, workflows.Request)
	}
}
