package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// The attack of issue 14, end to end: an access request verified by emailed code for
// attacker2@example.com, with John Roe's billing customer id (--customer-id billing=B-john), and the
// same with John's phone number. The connector's job is identity_conflict, audited without the
// identifier, and opens a conflict task marking the identifier not verified; the request waits with
// nothing of John's anywhere. The agent drops the identifier (through the API, and through the console)
// and the request completes with nothing of John's in the answer or the export.
func TestForeignIdentifierEndToEnd(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	cases := []struct {
		name, connector, unverified string
		console                     bool
		body                        web.NewRequest
	}{
		{"customer id", "billing", "customer_id:billing", false, web.NewRequest{Type: "access", Email: "attacker2@example.com", CustomerIDs: map[string]string{"billing": "B-john"}}},
		{"phone", "crm", "phone", true, web.NewRequest{Type: "access", Email: "attacker3@example.com", Phone: "+47 400 00 001"}},
	}
	johns := []string{"John Roe", "john.roe@example.com", "INV-1044", "car insurance"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c
			c.t = t
			id := c.create(tc.body)
			c.waitStatus(id, "verifying")
			if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": mailedCode(t, c, id)}); status != http.StatusOK {
				t.Fatalf("code: %d %s", status, data)
			}

			// The conflict waits for an agent as an open task; the request is not answered.
			task := c.waitConflictTask(id)
			jobID := id + ":" + tc.connector + ":access"
			if task.JobID != jobID || task.Connector != tc.connector || task.Status != "open" {
				t.Fatalf("conflict task %+v, want %s's job open", task, tc.connector)
			}
			var view web.TaskView
			if status, data := c.call("GET", "/api/v1/tasks/"+task.ID, nil); status != http.StatusOK || json.Unmarshal(data, &view) != nil {
				t.Fatalf("task %s: %d %s", task.ID, status, data)
			}
			if view.Kind != "identity_conflict" || !slices.Equal(view.Verified, []string{"email"}) || !slices.Equal(view.Unverified, []string{tc.unverified}) {
				t.Fatalf("task view kind %q verified %v unverified %v, want identity_conflict, [email], [%s]", view.Kind, view.Verified, view.Unverified, tc.unverified)
			}
			v := c.show(id)
			if v.Status != "fulfilling" || v.Closed != nil {
				t.Fatalf("request with an open conflict is %s", v.Status)
			}
			if got := jobsByConnector(v)[tc.connector+"/access"].Status; got != "identity_conflict" {
				t.Fatalf("%s access job = %q, want identity_conflict; jobs %+v", tc.connector, got, v.Jobs)
			}
			if c.queued(id, "answer") != 0 {
				t.Fatal("an answer was queued while the conflict is open")
			}
			// A team's answer does not close a conflict.
			if status, _ := c.call("POST", "/api/v1/tasks/"+task.ID+"/outcome", map[string]string{"outcome": "done"}); status == http.StatusOK {
				t.Fatal("a task outcome resolved an identity conflict")
			}

			if tc.console {
				b := newBrowser(t, s)
				if resp, _ := b.post("/console/signin", url.Values{"token": {s.Token}, "next": {"/console"}}, ""); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("console sign in: %d", resp.StatusCode)
				}
				_, page := b.get("/console/tasks/" + task.ID)
				if !strings.Contains(page, "not verified") || !strings.Contains(page, `value="drop"`) {
					t.Fatalf("console task page lacks the unverified mark or the drop button:\n%s", page)
				}
				resp, _ := b.post("/console/tasks/"+task.ID, url.Values{"resolution": {"drop"}, "job": {task.JobID}}, "/console/tasks/"+task.ID)
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("console drop: %d", resp.StatusCode)
				}
			} else {
				if status, data := c.call("POST", "/api/v1/requests/"+id+"/jobs/"+tc.connector+":access/resolve", map[string]string{"action": "confirm"}); status != http.StatusBadRequest {
					t.Fatalf("confirm without a reason: %d %s, want 400", status, data)
				}
				if status, data := c.call("POST", "/api/v1/requests/"+id+"/jobs/"+tc.connector+":access/resolve", map[string]string{"action": "drop"}); status != http.StatusOK {
					t.Fatalf("drop: %d %s", status, data)
				}
			}

			v = c.waitStatus(id, "completed")
			jobs := jobsByConnector(v)
			if got := jobs[tc.connector+"/access"].Status; got != "not_found" {
				t.Fatalf("%s access job after the drop = %q, want not_found (the attacker's email only); jobs %+v", tc.connector, got, v.Jobs)
			}
			counts := map[string]int{}
			for _, e := range v.Events {
				counts[e.Action]++
			}
			if counts["identity_conflict"] != 1 || counts["job_resolved"] != 1 {
				t.Fatalf("events %v, want one identity_conflict and one job_resolved", counts)
			}
			events, _ := json.Marshal(v.Events)
			if strings.Contains(string(events), "B-john") || strings.Contains(string(events), "400 00 001") {
				t.Fatal("an audit event quotes the identifier")
			}
			all := c.answer(id)
			for name, body := range c.export(id) {
				all += "\n" + name + "\n" + body
			}
			for _, john := range johns {
				if strings.Contains(all, john) {
					t.Fatalf("John's %q is in the attacker's answer or export", john)
				}
			}
			tasks := c.tasks(id)
			if i := slices.IndexFunc(tasks, func(x web.RequestTaskView) bool { return x.ID == task.ID }); i < 0 || tasks[i].Status != "dropped" {
				t.Fatalf("tasks after the drop %+v, want %s dropped", tasks, task.ID)
			}
		})
	}
}

func (c apiClient) tasks(id string) []web.RequestTaskView {
	c.t.Helper()
	var tasks []web.RequestTaskView
	status, data := c.call("GET", "/api/v1/requests/"+id+"/tasks", nil)
	if status != http.StatusOK || json.Unmarshal(data, &tasks) != nil {
		c.t.Fatalf("tasks of %s: %d %s", id, status, data)
	}
	return tasks
}

// waitConflictTask polls the request's tasks until an identity-conflict task is open.
func (c apiClient) waitConflictTask(id string) web.RequestTaskView {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		for _, x := range c.tasks(id) {
			if x.Kind == "identity_conflict" {
				return x
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no identity-conflict task for %s; request %+v", id, c.show(id))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// queued counts the request's outbox messages of a kind.
func (c apiClient) queued(id, kind string) int {
	c.t.Helper()
	msgs, err := c.stack.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	if err != nil {
		c.t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Kind == kind {
			n++
		}
	}
	return n
}
