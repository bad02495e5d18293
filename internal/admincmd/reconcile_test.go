package admincmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/reconcile"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestReconcileCommand: an operator finds a request recorded at intake whose workflow never started
// (the front door died), sees it with --dry-run --json, repairs it, and a second run finds nothing.
func TestReconcileCommand(t *testing.T) {
	dir := t.TempDir()
	s, addr := startDevStack(t, devstack.Options{Config: config.Dev{DataDir: dir}, NoReconciler: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	at := time.Now().Add(-time.Minute).UTC()
	id := "dsr_reconcilecommandaaaaaaaaa"
	in := workflows.RequestInput{ID: id, Type: dsrflow.Access, Country: "NO", Jurisdiction: "gdpr", Channel: "web", ReceivedAt: at,
		Due: at.AddDate(0, 1, 0), ExtendedDue: at.AddDate(0, 3, 0), SubjectKey: s.Product.Key.SubjectKey("cli@example.com"),
		Identity: dsrflow.Identity{Email: "cli@example.com"}, Verification: dsrflow.VerifyEmailCode, Version: workflows.RequestVersion}
	input, _ := json.Marshal(in)
	row := store.Request{ID: id, Type: "access", Status: "received", Country: "NO", Jurisdiction: "gdpr", ReceivedAt: at, DueAt: in.Due, UpdatedAt: at, SubjectKey: in.SubjectKey}
	if err := s.Store.CreateRequest(ctx, row, store.RequestDetail{RequestID: id, Identity: []byte(`{"email":"cli@example.com"}`)}, input); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DSR_TEMPORAL_ADDR": addr, "DSR_DATA_DIR": dir}

	code, out, errOut := runAdmin(t, env, "reconcile", "--dry-run", "--json")
	var fixes []reconcile.Fix
	if code != 0 || json.Unmarshal([]byte(out), &fixes) != nil || len(fixes) != 1 || fixes[0].RequestID != id || fixes[0].Action != "started" || !fixes[0].DryRun {
		t.Fatalf("reconcile --dry-run --json: exit %d, %q %q", code, out, errOut)
	}
	if _, err := s.Store.GetPendingStart(ctx, id); err != nil {
		t.Fatalf("the dry run changed something: %v", err)
	}
	code, out, errOut = runAdmin(t, env, "reconcile")
	if code != 0 || !strings.Contains(out, id+" started (workflow missing)") {
		t.Fatalf("reconcile: exit %d, %q %q", code, out, errOut)
	}
	if _, err := s.Client.DescribeWorkflowExecution(ctx, id, ""); err != nil {
		t.Fatalf("no workflow after reconcile: %v", err)
	}
	code, out, _ = runAdmin(t, env, "reconcile")
	if code != 0 || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("second reconcile: exit %d, %q", code, out)
	}
}
