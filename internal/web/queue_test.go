package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The queue: open requests by default, 25 a page with next and previous links, the subject masked for
// agents and never a column for reviewers, closed requests counting no days.
func TestConsoleQueue(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	var got []dsrflow.RequestQuery
	svc.ListRequestsFn = func(_ context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
		got = append(got, q)
		var rows []dsrflow.SummaryView
		for i := 0; i < q.Limit; i++ {
			rows = append(rows, dsrflow.SummaryView{ID: fmt.Sprintf("dsr_%02d", i), Type: "access", Status: "fulfilling", Country: "NO", Due: "2026-12-02",
				DaysLeft: 3, Open: true, Subject: &dsrflow.SubjectView{Email: "j***@example.com", Name: "Jane S."}})
		}
		rows[1] = dsrflow.SummaryView{ID: "dsr_lapsed", Type: "erasure", Status: "lapsed", Country: "SE", Due: "2026-10-01", Assignee: "token:alice"}
		return rows, nil
	}
	agent := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	page := body(t, ss.do("GET", "/console/requests", agent, nil))
	if len(got) != 1 || !got[0].Open || got[0].Closed || got[0].Limit != queuePage+1 || got[0].Offset != 0 {
		t.Fatalf("the queue asked %+v; want open requests, one page and one more", got)
	}
	for _, want := range []string{`data-label="Subject">Jane S.<br>j***@example.com</td>`, `Requests 1 to 25, earliest due first`, `rel="next"`,
		`<td data-label="Assignee">token:alice</td>`, `<td data-label="Days left">closed</td>`, `3 days left`, `<option value="me" >mine</option>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the agent's queue lacks %s", want)
		}
	}
	if strings.Contains(page, "overdue</td>") || strings.Contains(page, `rel="prev"`) {
		t.Error("the first page shows a lapsed request as overdue or a previous page")
	}

	got = nil
	page = body(t, ss.do("GET", "/console/requests?view=closed&assignee=me&sort=-due&page=2&country=SE", agent, nil))
	if q := got[0]; q.Open || !q.Closed || q.Assignee != "me" || !q.Desc || q.Offset != queuePage || q.Country != "SE" {
		t.Errorf("page 2 of my closed requests asked %+v", q)
	}
	if !strings.Contains(page, `Requests 26 to 50, latest due first`) || !strings.Contains(page, `rel="prev"`) || !strings.Contains(page, `<option value="SE" selected>SE</option>`) {
		t.Error("page 2 lacks its caption, its previous link or the chosen country")
	}
	if resp := ss.do("GET", "/console/requests?view=sideways", agent, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown view: %d", resp.StatusCode)
	}

	rita := ss.signIn(t, ss.createToken(t, "rita", RoleReviewer))
	page = body(t, ss.do("GET", "/console/requests", rita, nil))
	if strings.Contains(page, "Subject") || strings.Contains(page, "j***") {
		t.Error("a reviewer's queue shows subjects")
	}
}

// The request page shows who the request is about (masked), the channel, how identity was checked, the
// assignee and the notes; assigning and noting reach the service; only actions that can succeed are
// offered.
func TestConsoleRequestAssignAndNote(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	view := dsrflow.RequestView{ID: "dsr_1", Type: "access", Status: "verifying", Country: "NO", Due: "2026-12-02",
		Subject: &dsrflow.SubjectView{Email: "j***@example.com", Name: "Jane S."}, Channel: "phone", Verification: "agent_attested",
		Notes: []dsrflow.NoteView{{ID: 1, Author: "token:bob", Time: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC), Text: "called back <b>twice</b>"}}}
	svc.GetRequestFn = func(context.Context, string) (dsrflow.RequestView, error) { return view, nil }
	svc.RequestMessagesFn = func(context.Context, string) ([]dsrflow.MessageView, error) { return nil, nil }
	svc.ListRoutedFn = func(context.Context, string) ([]dsrflow.RoutedItem, error) { return nil, nil }
	svc.RequestTasksFn = func(context.Context, string) ([]dsrflow.RequestTaskView, error) { return nil, nil }
	var assigned, noted []string
	svc.AssignRequestFn = func(ctx context.Context, id, a string) (dsrflow.Assigned, error) {
		assigned = append(assigned, a)
		return dsrflow.Assigned{ID: id, Assignee: a}, nil
	}
	svc.AddNoteFn = func(ctx context.Context, id, text string) (dsrflow.NoteView, error) {
		if text == "" {
			return dsrflow.NoteView{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "text is required", Fields: map[string]string{"text": "is required"}}
		}
		noted = append(noted, text)
		return dsrflow.NoteView{}, nil
	}
	agent := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	page := body(t, ss.do("GET", "/console/requests/dsr_1", agent, nil))
	for _, want := range []string{"<dd>Jane S., j***@example.com</dd>", "<dd>phone</dd>", "checked by an agent (attested)", "<dd>nobody</dd>",
		`<button type="submit" name="assignee" value="me">Assign to me</button>`, "called back &lt;b&gt;twice&lt;/b&gt;", "token:bob", "2026-11-03 10:00 UTC",
		`id="cancel-confirm"`, `action="/console/requests/dsr_1/extend"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the request page lacks %s", want)
		}
	}
	csrf := ss.csrf(t, agent)
	if resp := ss.do("POST", "/console/requests/dsr_1/assign", agent, url.Values{"csrf": {csrf}, "assignee": {"me"}}); resp.StatusCode != http.StatusSeeOther ||
		!strings.Contains(resp.Header.Get("Location"), "done=assign") {
		t.Errorf("assign: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := ss.do("POST", "/console/requests/dsr_1/note", agent, url.Values{"csrf": {csrf}, "text": {" moved to Bergen "}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("note: %d", resp.StatusCode)
	}
	if len(assigned) != 1 || assigned[0] != "me" || len(noted) != 1 || noted[0] != "moved to Bergen" {
		t.Errorf("the service got assignees %q, notes %q", assigned, noted)
	}
	// An empty note: the page again, the summary linked to the field, the field marked invalid.
	resp := ss.do("POST", "/console/requests/dsr_1/note", agent, url.Values{"csrf": {csrf}, "text": {""}})
	page = body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `href="#note-text"`) || !strings.Contains(page, `id="note-text" name="text" rows="3" maxlength="4000" required aria-invalid="true"`) {
		t.Errorf("an empty note: %d", resp.StatusCode)
	}
	// Cancel without its box ticked reaches nothing.
	svc.CancelRequestFn = func(context.Context, string, string) (dsrflow.RequestState, error) {
		t.Error("an unconfirmed cancel reached the service")
		return dsrflow.RequestState{}, nil
	}
	if resp := ss.do("POST", "/console/requests/dsr_1/cancel", agent, url.Values{"csrf": {csrf}, "reason": {"withdrawn"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unconfirmed cancel: %d", resp.StatusCode)
	}
}

func TestOnlyActionsThatCanSucceed(t *testing.T) {
	closed := time.Now()
	for _, tc := range []struct {
		name     string
		role     string
		v        RequestView
		want     []string
		excluded []string
	}{
		{"completed", RoleAgent, RequestView{Type: "access", Status: "completed", Closed: &closed}, []string{"export", "note"}, []string{"cancel", "extend", "assign"}},
		{"responding", RoleAgent, RequestView{Type: "erasure", Status: "responding"}, []string{"assign"}, []string{"cancel", "extend"}},
		{"disclosure", RoleDPO, RequestView{Type: "disclosure", Status: "in_review"}, []string{"assign", "decide"}, []string{"cancel", "extend", "refuse", "note"}},
		{"extended", RoleAgent, RequestView{Type: "access", Status: "verifying", ExtendedDue: "2027-02-01"}, []string{"cancel"}, []string{"extend"}},
		// Fulfilment started: the workflow refuses a cancel ("fulfilment has started"), a refusal still stops the jobs.
		{"fulfilling", RoleDPO, RequestView{Type: "erasure", Status: "fulfilling"}, []string{"extend", "refuse", "assign"}, []string{"cancel"}},
		{"awaiting tasks", RoleAgent, RequestView{Type: "access", Status: "awaiting_tasks", ExtendedDue: "2027-02-01"}, []string{"assign", "note"}, []string{"cancel", "extend"}},
		{"reviewer", RoleReviewer, RequestView{Type: "objection", Status: "in_review"}, []string{"decide", "refuse"}, []string{"assign", "note", "cancel"}},
	} {
		got := allowedActions(tc.role, tc.v)
		for _, a := range tc.want {
			if !contains(got, a) {
				t.Errorf("%s: %v lacks %s", tc.name, got, a)
			}
		}
		for _, a := range tc.excluded {
			if contains(got, a) {
				t.Errorf("%s: %v offers %s", tc.name, got, a)
			}
		}
	}
}

// A reviewer deciding an objection sees its grounds, the purposes and the systems involved.
func TestObjectionShownToTheReviewer(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	svc.GetRequestFn = func(_ context.Context, id string) (dsrflow.RequestView, error) {
		return dsrflow.RequestView{ID: id, Type: "objection", Status: "in_review", Due: "2026-12-02",
			Objection: &dsrflow.ObjectionView{Grounds: "my situation: I am a public figure", Purposes: []string{"fraud_scoring"}, Systems: []string{"crm", "scoring"}}}, nil
	}
	svc.RequestMessagesFn = func(context.Context, string) ([]dsrflow.MessageView, error) { return nil, nil }
	svc.ListRoutedFn = func(context.Context, string) ([]dsrflow.RoutedItem, error) { return nil, nil }
	rita := ss.signIn(t, ss.createToken(t, "rita", RoleReviewer))
	page := body(t, ss.do("GET", "/console/requests/dsr_1", rita, nil))
	for _, want := range []string{"What the subject objects to", "my situation: I am a public figure", "<dd>fraud scoring</dd>", "<dd>crm, scoring</dd>", `action="/console/requests/dsr_1/decide"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the reviewer's page lacks %s", want)
		}
	}
}
