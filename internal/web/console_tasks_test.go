package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
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

// The task page of an open access task offers the records form: rows of category (the connector's
// declared ones), field and value, more rows without JavaScript, and pasted JSON. Done sends the rows
// as records, one per category; a bad category comes back as an error summary linked to the row's
// category, nothing recorded; a pasted record's problem names the record in the JSON.
func TestConsoleTaskRecordsForm(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	svc.TaskFn = func(_ context.Context, id string) (dsrflow.TaskView, error) {
		return dsrflow.TaskView{ID: id, Kind: "manual", RequestID: "dsr_a", Connector: "archive", Owner: "Records office", Action: "access",
			Identity: dsrflow.Identity{Email: "jane@example.com"}, Holds: []string{"user.contact.email", "user.name"}, Status: "open"}, nil
	}
	var answers []dsrflow.TaskAnswer
	svc.AnswerTaskFn = func(_ context.Context, id string, a dsrflow.TaskAnswer) (dsrflow.TaskAnswered, error) {
		for i, r := range a.Records {
			for f, c := range r.Categories {
				if c != "user.contact.email" && c != "user.name" {
					field := fmt.Sprintf("records[%d].categories.%s", i, f)
					return dsrflow.TaskAnswered{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid records: " + field + " must be one of the connector's categories",
						Fields: map[string]string{field: "must be one of the connector's categories: user.contact.email, user.name"}}
				}
			}
		}
		answers = append(answers, a)
		return dsrflow.TaskAnswered{ID: id, Status: a.Outcome}, nil
	}
	agent := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	csrf := ss.csrf(t, agent)

	page := body(t, ss.do("GET", "/console/tasks/dsr_a.archive", agent, nil))
	for _, want := range []string{`name="category-5"`, `<option value="user.name">user.name</option>`, `name="more"`, `name="records_json"`, `<input type="hidden" name="rows" value="5">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the task page lacks %q", want)
		}
	}
	form := func(extra url.Values) url.Values {
		v := url.Values{"csrf": {csrf}, "rows": {"5"}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	// More rows: the same rows, five more, nothing sent.
	resp := ss.do("POST", "/console/tasks/dsr_a.archive", agent, form(url.Values{"more": {"rows"}, "category-1": {"user.name"}, "field-1": {"name"}, "value-1": {"Jane Smith"}}))
	page = body(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="category-10"`) || !strings.Contains(page, `value="Jane Smith"`) || len(answers) != 0 {
		t.Errorf("more rows: %d, answers %d", resp.StatusCode, len(answers))
	}
	// A category the connector does not declare (a tampered form): the error summary links to the row's
	// category, which is marked invalid; nothing is recorded.
	resp = ss.do("POST", "/console/tasks/dsr_a.archive", agent, form(url.Values{"outcome": {"done"},
		"category-1": {"user.name"}, "field-1": {"name"}, "value-1": {"Jane Smith"},
		"category-2": {"user.financial"}, "field-2": {"card"}, "value-2": {"4111"}}))
	page = body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `class="error-summary"`) || !strings.Contains(page, `href="#task-row-2-category">Row 2, category: must be one of the connector`) ||
		!strings.Contains(page, `id="task-row-2-category" name="category-2" aria-invalid="true"`) || len(answers) != 0 {
		t.Errorf("bad category: %d, answers %d\n%s", resp.StatusCode, len(answers), page)
	}
	// A value without its field's name, and a pasted list that is not records: both named.
	resp = ss.do("POST", "/console/tasks/dsr_a.archive", agent, form(url.Values{"outcome": {"done"}, "category-3": {"user.name"}, "value-3": {"Jane"}, "records_json": {`{"not": "a list"}`},
		"reason": {"searched the 2019 boxes"}}))
	page = body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `href="#task-row-3-field"`) || !strings.Contains(page, `href="#task-records_json"`) || len(answers) != 0 ||
		!strings.Contains(page, "searched the 2019 boxes</textarea>") || !strings.Contains(page, `{&#34;not&#34;: &#34;a list&#34;}</textarea>`) {
		t.Errorf("a value without a field, bad JSON: %d, answers %d", resp.StatusCode, len(answers))
	}
	// Records go with Done only.
	resp = ss.do("POST", "/console/tasks/dsr_a.archive", agent, form(url.Values{"outcome": {"nothing_found"}, "category-1": {"user.name"}, "field-1": {"name"}, "value-1": {"Jane"}}))
	if resp.StatusCode != http.StatusBadRequest || len(answers) != 0 {
		t.Errorf("records with nothing found: %d, answers %d", resp.StatusCode, len(answers))
	}
	// Done with rows and pasted JSON: a record per category (the repeated field starts the second
	// email record), then the pasted one.
	resp = ss.do("POST", "/console/tasks/dsr_a.archive", agent, form(url.Values{"outcome": {"done"},
		"category-1": {"user.name"}, "field-1": {"name"}, "value-1": {"Jane Smith"},
		"category-2": {"user.contact.email"}, "field-2": {"email"}, "value-2": {"jane@example.com"},
		"category-3": {"user.contact.email"}, "field-3": {"email"}, "value-3": {"jane.smith@example.com"},
		"category-4":   {"user.name"},
		"records_json": {`[{"dataset": "letters", "fields": {"sender": "Jane Smith"}, "categories": {"sender": "user.name"}}]`}}))
	if resp.StatusCode != http.StatusSeeOther || len(answers) != 1 {
		t.Fatalf("done with records: %d, answers %d", resp.StatusCode, len(answers))
	}
	want := []dsrflow.TaskRecord{
		{Dataset: "user.name", Fields: map[string]string{"name": "Jane Smith"}, Categories: map[string]string{"name": "user.name"}},
		{Dataset: "user.contact.email", Fields: map[string]string{"email": "jane@example.com"}, Categories: map[string]string{"email": "user.contact.email"}},
		{Dataset: "user.contact.email", Fields: map[string]string{"email": "jane.smith@example.com"}, Categories: map[string]string{"email": "user.contact.email"}},
		{Dataset: "letters", Fields: map[string]string{"sender": "Jane Smith"}, Categories: map[string]string{"sender": "user.name"}},
	}
	if got := answers[0]; got.Outcome != "done" || !reflect.DeepEqual(got.Records, want) {
		t.Errorf("answer = %+v", got)
	}
	// Done with the rows left empty is an answer without records.
	if resp := ss.do("POST", "/console/tasks/dsr_a.archive", agent, form(url.Values{"outcome": {"done"}, "category-1": {"user.name"}})); resp.StatusCode != http.StatusSeeOther ||
		len(answers) != 2 || answers[1].Records != nil {
		t.Errorf("done without records: %d %+v", resp.StatusCode, answers)
	}
}
