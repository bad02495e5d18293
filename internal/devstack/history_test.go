package devstack_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// Requests run on the embedded stack, as the front door starts them today, replay against the
// workflow code (with their payloads decrypted, as the replay tests keep them). With
// DSR_RECORD_HISTORIES=DIR the decrypted histories are also written there: workflows/testdata keeps
// them, so that TestReplayRecordedHistories fails on a later change that would break such requests.
// Demo persona only.
func TestHistoriesReplay(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MasterKeys = keySpec("h", 3)
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	// Each revision's histories keep their own files: rev names one by the revision new requests
	// start under.
	rev := func(name string) string { return fmt.Sprintf("v%d_%s", workflows.RequestVersion, name) }
	var routedRequest string // the request routed to Acme's payroll tenant (issue 22)
	flows := []struct {
		name string
		run  func() string
	}{
		{rev("access_attested"), func() string {
			id := c.create(web.NewRequest{Type: "access", Email: jane, Name: "Jane Doe", Attest: "passport seen at the counter"})
			c.waitStatus(id, "completed")
			return id
		}},
		{rev("access_email_code"), func() string {
			id := c.create(web.NewRequest{Type: "access", Email: jane})
			c.waitStatus(id, "verifying")
			if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": mailedCode(t, c, id)}); status != 200 {
				t.Fatalf("verify: %d %s", status, data)
			}
			c.waitStatus(id, "completed")
			return id
		}},
		{rev("access_identity_conflict_dropped"), func() string {
			// The demo's foreign customer number: billing answers identity_conflict, an agent drops it.
			id := c.create(web.NewRequest{Type: "access", Email: "attacker2@example.com", CustomerIDs: map[string]string{"billing": "B-john"}})
			c.waitStatus(id, "verifying")
			if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": mailedCode(t, c, id)}); status != 200 {
				t.Fatalf("verify: %d %s", status, data)
			}
			c.waitConflictTask(id)
			if status, data := c.call("POST", "/api/v1/requests/"+id+"/jobs/billing:access/resolve", map[string]string{"action": "drop"}); status != 200 {
				t.Fatalf("drop: %d %s", status, data)
			}
			c.waitStatus(id, "completed")
			return id
		}},
		{rev("rectification_partial_tracked"), func() string {
			// Items per field, and the partner told because the CRM held her (art19-recipients-tracked).
			id := c.create(web.NewRequest{Type: "rectification", Email: jane, Attest: "video call",
				Corrections: map[string]string{"user.name": "Jane Doe", "user.contact.postal_address": "Storgata 1"}})
			c.waitStatus(id, "completed")
			return id
		}},
		{rev("erasure_held_nowhere"), func() string {
			// Held by no system: no partner is told (art19-recipients-tracked).
			id := c.create(web.NewRequest{Type: "erasure", Email: "nobody@example.com", Attest: "video call"})
			c.waitStatus(id, "completed")
			return id
		}},
		{rev("erasure_attested"), func() string {
			id := c.create(web.NewRequest{Type: "erasure", Email: jane, Attest: "video call"})
			c.waitStatus(id, "completed")
			return id
		}},
		// Issue 15: an objection to direct marketing skips review (marketing-objection-absolute); an opt-out
		// puts the address on the suppression list (marketing-suppression-list).
		{rev("objection_direct_marketing"), func() string {
			id := c.create(web.NewRequest{Type: "objection", Email: jane, Purposes: []string{"marketing"}})
			c.waitStatus(id, "completed")
			return id
		}},
		{rev("marketing_optout"), func() string {
			id := c.create(web.NewRequest{Type: "marketing_optout", Email: jane})
			c.waitStatus(id, "completed")
			return id
		}},
		{rev("access_routed"), func() string {
			// Found in the demo payroll processor's Acme tenant: one routed item (h22-routing,
			// h22c-refusal-names-customers); its own workflow is recorded below.
			routedRequest = c.create(web.NewRequest{Type: "access", Email: jane, Attest: "video call"})
			c.waitStatus(routedRequest, "completed")
			if items := routedOf(c, routedRequest); len(items) != 1 {
				t.Fatalf("routed items %+v, want Acme's", items)
			}
			return routedRequest
		}},
	}
	codec := payload.NewCodec(keys)
	dir := os.Getenv("DSR_RECORD_HISTORIES")
	for _, f := range flows {
		replayAndRecord(t, s, codec, dir, f.name, f.run(), workflows.Request)
	}
	// The routed item's workflow: Acme instructs an erase, run in its tenant.
	item := dsrflow.RoutedID(routedRequest, "payroll", "t-acme")
	if status, data := c.call("POST", "/api/v1/routed/"+item+"/instruction", map[string]string{"instruction": "execute", "action": "erase"}); status != 202 {
		t.Fatalf("instruct: %d %s", status, data)
	}
	waitFor(t, "the routed item executed", func() bool {
		items := routedOf(c, routedRequest)
		return len(items) == 1 && items[0].State == dsrflow.RoutedExecuted
	})
	waitFor(t, "the routed workflow closed", func() bool {
		h := historyOf(t, s, workflows.RoutedWorkflowID(item))
		return len(h.Events) > 0 && h.Events[len(h.Events)-1].EventType == enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	})
	replayAndRecord(t, s, codec, dir, "routed_executed", workflows.RoutedWorkflowID(item), workflows.Routed)

	// A customer with a callback_url (the demo's Nordlys) handles Ola's item itself: mails and callbacks
	// (h22c-customer-callback).
	ola := c.create(web.NewRequest{Type: "access", Email: "ola.nordmann@example.com", Attest: "video call"})
	c.waitStatus(ola, "completed")
	handled := dsrflow.RoutedID(ola, "payroll", "t-nordlys")
	if status, data := c.call("POST", "/api/v1/routed/"+handled+"/instruction", map[string]string{"instruction": "handled"}); status != 202 {
		t.Fatalf("instruct: %d %s", status, data)
	}
	waitFor(t, "the handled item's workflow closed", func() bool {
		h := historyOf(t, s, workflows.RoutedWorkflowID(handled))
		return len(h.Events) > 0 && h.Events[len(h.Events)-1].EventType == enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	})
	replayAndRecord(t, s, codec, dir, "routed_callback_handled", workflows.RoutedWorkflowID(handled), workflows.Routed)
}

// TestTaskHistoriesReplay records the request paths that need a manual connector (the archive team beside
// the demo subsidiaries): a refusal that closes the team's open task (h15b-refusal-closes-tasks), and an
// extension while the task waits, its notice written in the subject's language (h18b-extension-language).
// Both replay on today's code; DSR_RECORD_HISTORIES records them as TestHistoriesReplay does.
func TestTaskHistoriesReplay(t *testing.T) {
	cfg := archiveConfig(t)
	cfg.MasterKeys = keySpec("h", 3)
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	codec := payload.NewCodec(keys)
	dir := os.Getenv("DSR_RECORD_HISTORIES")
	rev := func(name string) string { return fmt.Sprintf("v%d_%s", workflows.RequestVersion, name) }
	waitTask := func(id string) {
		waitFor(t, "the archive task of "+id, func() bool {
			status, _ := c.call("GET", "/api/v1/tasks/"+id+".archive", nil)
			return status == http.StatusOK
		})
	}
	waitWorkflowClosed := func(id string) {
		waitFor(t, "the workflow of "+id+" closed", func() bool {
			h := historyOf(t, s, id)
			return len(h.Events) > 0 && h.Events[len(h.Events)-1].EventType == enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
		})
	}

	// Refused while the archive team's task is open: the task closes with the reason.
	id := c.create(web.NewRequest{Type: "erasure", Email: jane, Attest: "video call"})
	waitTask(id)
	refusal := map[string]string{"ground": "manifestly_excessive", "reason": "the fifth erasure asked for this month"}
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/refusal", refusal); status != http.StatusOK {
		t.Fatalf("refuse: %d %s", status, data)
	}
	if v := c.waitClosed(id); v.Status != "rejected" {
		t.Fatalf("the refused request ended %s", v.Status)
	}
	if task := c.task(id + ".archive"); task.Status != workflows.TaskClosed {
		t.Fatalf("the refused request's task is %s, want closed", task.Status)
	}
	waitWorkflowClosed(id)
	replayAndRecord(t, s, codec, dir, rev("erasure_refused_task_closed"), id, workflows.Request)

	// Extended while the task waits, for a subject who wrote in Norwegian; then the team answers.
	id = c.create(web.NewRequest{Type: "access", Email: jane, Attest: "video call", Language: "nb"})
	waitTask(id)
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/extend", map[string]string{"reason": "the paper archive is searched by hand"}); status != http.StatusOK {
		t.Fatalf("extend: %d %s", status, data)
	}
	if status, data := c.call("POST", "/api/v1/tasks/"+id+".archive/outcome", map[string]string{"outcome": "nothing_found"}); status != http.StatusOK {
		t.Fatalf("task outcome: %d %s", status, data)
	}
	c.waitStatus(id, "completed")
	if m := outboxMessage(t, c, id, "extension"); !strings.HasPrefix(m.Subject, "Forespørselen din") {
		t.Errorf("the extension notice's subject %q is not in Norwegian", m.Subject)
	}
	waitWorkflowClosed(id)
	replayAndRecord(t, s, codec, dir, rev("access_extended_norwegian"), id, workflows.Request)
}

// replayAndRecord decrypts the history of workflow id, replays it with wf registered, and, when dir is
// set (DSR_RECORD_HISTORIES), writes it to dir/name.json for workflows/testdata. It returns the
// history's length in events.
func replayAndRecord(t *testing.T, s *devstack.Stack, codec converter.PayloadCodec, dir, name, id string, wf any) int {
	t.Helper()
	return replayAndRecordRun(t, s, codec, dir, name, id, "", wf)
}

// replayAndRecordRun is replayAndRecord for one run of the workflow (runID "": the latest); it returns
// that run's length in events.
func replayAndRecordRun(t *testing.T, s *devstack.Stack, codec converter.PayloadCodec, dir, name, id, runID string, wf any) int {
	t.Helper()
	h := historyOfRun(t, s, id, runID)
	err := proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*common.Payload) ([]*common.Payload, error) {
			return codec.Decode(p)
		},
	})
	if err != nil {
		t.Fatalf("%s: decrypt the history: %v", name, err)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(wf)
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		t.Fatalf("%s: replay: %v", name, err)
	}
	if dir != "" {
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return len(h.Events)
}

// historyOf is a workflow's whole history as the server keeps it (payloads still encrypted).
func historyOf(t *testing.T, s *devstack.Stack, id string) *history.History {
	t.Helper()
	return historyOfRun(t, s, id, "")
}

// historyOfRun is one run's history (runID "": the latest).
func historyOfRun(t *testing.T, s *devstack.Stack, id, runID string) *history.History {
	t.Helper()
	iter := s.Client.GetWorkflowHistory(context.Background(), id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &history.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	return h
}
