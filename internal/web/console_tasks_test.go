package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// The tasks page lists the open tasks the service returns for the chosen view (the team's by default,
// mine, overdue), each linked to its task and request; a reviewer may not open it; the API serves the
// same list and refuses an unknown view as a 400 naming the field.
func TestConsoleTasksPage(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	var views []string
	svc.OpenTasksFn = func(_ context.Context, q dsrflow.TaskQuery) ([]dsrflow.TaskListItem, error) {
		views = append(views, q.View)
		if q.View == "nonsense" {
			return nil, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid task view: view must be team, mine or overdue", Fields: map[string]string{"view": "must be team, mine or overdue"}}
		}
		if q.View == dsrflow.TasksMine {
			return []dsrflow.TaskListItem{}, nil
		}
		return []dsrflow.TaskListItem{{
			RequestTaskView: dsrflow.RequestTaskView{ID: "dsr_a.archive", Kind: "manual", Connector: "archive", Owner: "Records office", Action: "access", Status: "open"},
			RequestID:       "dsr_a", RequestType: "access", Assignee: "token:alice", Due: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Overdue: true,
		}}, nil
	}
	agent := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))

	page := body(t, ss.do("GET", "/console/tasks", agent, nil))
	for _, want := range []string{`<a href="/console/tasks/dsr_a.archive">dsr_a.archive</a>`, "archive (Records office)", `<a href="/console/requests/dsr_a">dsr_a</a> (access)`,
		"token:alice", "2026-11-30", "overdue", "1 open task<", `href="/console/tasks?view=team" aria-current="page"`, `<a href="/console/tasks" aria-current="page">Tasks</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the tasks page lacks %q", want)
		}
	}
	if page := body(t, ss.do("GET", "/console/tasks?view=mine", agent, nil)); !strings.Contains(page, "No open task of a request assigned to you.") ||
		!strings.Contains(page, `href="/console/tasks?view=mine" aria-current="page"`) {
		t.Error("mine, empty: the page does not say so")
	}
	if strings.Join(views, ",") != "team,mine" {
		t.Errorf("the service was asked for views %v", views)
	}
	if resp := ss.do("GET", "/console/tasks", ss.signIn(t, ss.createToken(t, "rolf", RoleReviewer)), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reviewer opened the tasks page: %d", resp.StatusCode)
	}

	token := ss.createToken(t, "anna", RoleAgent)
	apiGet := func(path string) (int, string) {
		req := httptest.NewRequest("GET", "http://localhost"+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		ss.mux.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if status, data := apiGet("/api/v1/tasks?view=overdue"); status != http.StatusOK || !strings.Contains(data, `"request_id":"dsr_a"`) || !strings.Contains(data, `"overdue":true`) {
		t.Errorf("GET /api/v1/tasks: %d %s", status, data)
	}
	if status, data := apiGet("/api/v1/tasks?view=nonsense"); status != http.StatusBadRequest || !strings.Contains(data, `"view"`) {
		t.Errorf("an unknown view: %d %s", status, data)
	}
}
