package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestManualConnectorTask gives an access job to a team working by hand: the task waits, an agent sees
// the subject's identity behind its link, and the team's answer through the API completes the request.
func TestManualConnectorTask(t *testing.T) {
	cfg := archiveConfig(t)
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "known customer on a recorded call"})
	taskID := id + ".archive"
	v := c.waitStatus(id, "fulfilling")
	var task web.TaskView
	for {
		status, data := c.call("GET", "/api/v1/tasks/"+taskID, nil)
		if status == http.StatusOK {
			_ = json.Unmarshal(data, &task)
			break
		}
		if v = c.show(id); v.Closed != nil {
			t.Fatalf("request closed before its task: %+v", v.Events)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if task.Identity.Email != jane || task.Status != "open" || task.Instructions != "Search the paper archive by email." {
		t.Errorf("task = %+v", task)
	}
	for deadline := time.Now().Add(30 * time.Second); !hasEvent(c.show(id), "card_not_posted"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the task card not posted (no notifier) is not audited")
		}
	}
	if status, data := c.call("POST", "/api/v1/tasks/"+taskID+"/outcome", map[string]string{"outcome": "cannot"}); status != http.StatusBadRequest || !strings.Contains(string(data), `"reason"`) {
		t.Errorf("cannot without a reason: %d %s", status, data)
	}
	if status, data := c.call("POST", "/api/v1/tasks/"+taskID+"/outcome", map[string]string{"outcome": "done"}); status != http.StatusOK {
		t.Fatalf("done: %d %s", status, data)
	}
	done := c.waitClosed(id)
	if done.Status != "completed" || jobsByConnector(done)["archive/access"].Status != "completed" {
		t.Errorf("request ended %s with jobs %+v", done.Status, done.Jobs)
	}
	if !slices.Equal(task.Verified, []string{"email"}) || len(task.Unverified) != 0 {
		t.Errorf("attested task marks verified %v, unverified %v; want the email verified", task.Verified, task.Unverified)
	}

	// Verified by emailed code, with a customer number: the team sees which identifier is not verified.
	id = c.create(web.NewRequest{Type: "access", Email: "ada@example.com", CustomerIDs: map[string]string{"archive": "A-77"}})
	c.waitStatus(id, "verifying")
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": mailedCode(t, c, id)}); status != http.StatusOK {
		t.Fatalf("code: %d %s", status, data)
	}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, data := c.call("GET", "/api/v1/tasks/"+id+".archive", nil)
		if status == http.StatusOK {
			task = web.TaskView{}
			_ = json.Unmarshal(data, &task)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no task for %s: %d %s", id, status, data)
		}
	}
	if task.Kind != "manual" || !slices.Equal(task.Verified, []string{"email"}) || !slices.Equal(task.Unverified, []string{"customer_id:archive"}) {
		t.Errorf("task kind %q marks verified %v, unverified %v; want manual, [email], [customer_id:archive]", task.Kind, task.Verified, task.Unverified)
	}
	if status, data := c.call("POST", "/api/v1/tasks/"+id+".archive/outcome", map[string]string{"outcome": "nothing_found"}); status != http.StatusOK {
		t.Fatalf("nothing_found: %d %s", status, data)
	}
}

// archiveConfig is a dev stack configuration with one manual connector beside the demo subsidiaries: a
// team that searches a paper archive by hand, answering in Slack or the console.
func archiveConfig(t *testing.T) config.Dev {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "connectors.yaml")
	if err := os.WriteFile(file, []byte(`connectors:
  - id: archive
    owner: Example Records AS
    role: subsidiary
    kind: manual
    channel: C01ARCHIVE
    instructions: Search the paper archive by email.
    actions: [access, erase]
    identities: [email]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, filepath.Join(dir, "data"))
	cfg.Product.Connectors = file
	return cfg
}

// legalAndDPO are reviewer groups of API token names, for stacks started with startReviewed.
var legalAndDPO = dsrflow.Reviewers{Groups: map[string][]string{"legal": {"legal-1", "legal-2"}, "dpo": {"dpo-1"}}}

// startReviewed starts the stack with reviewer groups given directly (not through DSR_REVIEWERS).
func startReviewed(t *testing.T, cfg config.Dev, reviewers dsrflow.Reviewers) *devstack.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{Config: cfg, Register: registerProbe, Reviewers: reviewers})
	if err != nil {
		t.Fatalf("start dev stack: %v", err)
	}
	return s
}
