package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/dsrflow/dsrflow/workflows"
)

// TestReplayRecordedHistories replays histories recorded from the embedded stack (demo persona only)
// against today's workflow code: requests (internal/devstack TestHistoriesReplay) and disclosures
// (TestDisclosureHistoriesReplay), with a disclosure subject's workflow (disclosure_v2_*_subject), the
// runs of a request that continued as new (TestContinuedHistoriesReplay), a manual task answered with
// records (TestTaskRecordsHistoryReplays), a refusal closing an open manual task and an extension told in
// the subject's language (TestTaskHistoriesReplay), retention sweeps (TestRetentionHistoryReplays) and a routed
// item's own workflow (routed_executed). A change that would break requests already running fails here: put it
// behind workflow.GetVersion, then record a new history beside the old ones.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 32 {
		t.Fatalf("found %d recorded histories, want the 32 in testdata", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.Request)
			r.RegisterWorkflow(workflows.Disclosure)
			r.RegisterWorkflow(workflows.DisclosureSubject)
			r.RegisterWorkflow(workflows.Retention)
			r.RegisterWorkflow(workflows.Routed)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
