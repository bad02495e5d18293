package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
)

// POST /api/v1/requests/{id}/assignee and /notes call the service as the token's principal; bad input is
// a 400 naming the field; reviewers are refused before the service is called.
func TestAssigneeAndNotesRoutes(t *testing.T) {
	f := newAPI(t)
	var assigned, noted string
	f.svc.AssignRequestFn = func(ctx context.Context, id, a string) (dsrflow.Assigned, error) {
		if caller(t, ctx).ID != "token:alice" {
			t.Errorf("assigned as %+v", caller(t, ctx))
		}
		assigned = id + "=" + a
		return dsrflow.Assigned{ID: id, Assignee: "token:alice"}, nil
	}
	f.svc.AddNoteFn = func(ctx context.Context, id, text string) (dsrflow.NoteView, error) {
		if strings.TrimSpace(text) == "" {
			return dsrflow.NoteView{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "text is required", Fields: map[string]string{"text": "is required"}}
		}
		noted = id + ":" + text
		return dsrflow.NoteView{ID: 7, Author: "token:alice", Text: text}, nil
	}
	status, obj, _ := f.call("agent", "POST", "/api/v1/requests/dsr_1/assignee", `{"assignee":"me"}`)
	if status != http.StatusOK || obj["assignee"] != "token:alice" || assigned != "dsr_1=me" {
		t.Errorf("assign: %d %v (service got %q)", status, obj, assigned)
	}
	status, obj, _ = f.call("agent", "POST", "/api/v1/requests/dsr_1/notes", `{"text":"called back"}`)
	if status != http.StatusCreated || obj["text"] != "called back" || noted != "dsr_1:called back" {
		t.Errorf("note: %d %v", status, obj)
	}
	if status, _, raw := f.call("agent", "POST", "/api/v1/requests/dsr_1/notes", `{"text":""}`); status != http.StatusBadRequest || !strings.Contains(raw, "text") {
		t.Errorf("empty note: %d %s", status, raw)
	}
	if status, _, raw := f.call("agent", "POST", "/api/v1/requests/dsr_1/notes", `{"note":"x"}`); status != http.StatusBadRequest || !strings.Contains(raw, "note") {
		t.Errorf("unknown field: %d %s", status, raw)
	}
	assigned = ""
	if status, _, _ := f.call("reviewer", "POST", "/api/v1/requests/dsr_1/assignee", `{"assignee":"me"}`); status != http.StatusForbidden || assigned != "" {
		t.Errorf("a reviewer assigning: %d", status)
	}
}

// GET /api/v1/requests takes the queue's filters: assignee, closed and page (of limit rows, 100 by
// default); a page that is not a number from 1 is a 400 naming it, and the service is not called.
func TestListRequestsQueueParams(t *testing.T) {
	f := newAPI(t)
	var got []dsrflow.RequestQuery
	f.svc.ListRequestsFn = func(_ context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
		got = append(got, q)
		return []dsrflow.SummaryView{}, nil
	}
	if status, _, raw := f.call("agent", "GET", "/api/v1/requests?assignee=me&status=fulfilling&type=access&page=3&limit=25", ""); status != http.StatusOK {
		t.Fatalf("list: %d %s", status, raw)
	}
	if status, _, raw := f.call("agent", "GET", "/api/v1/requests?closed=true&page=2", ""); status != http.StatusOK {
		t.Fatalf("list closed: %d %s", status, raw)
	}
	if len(got) != 2 || got[0].Assignee != "me" || got[0].Status != "fulfilling" || got[0].Type != "access" || got[0].Offset != 50 || got[0].Limit != 25 ||
		!got[1].Closed || got[1].Offset != 100 {
		t.Errorf("the service was asked %+v", got)
	}
	status, _, raw := f.call("agent", "GET", "/api/v1/requests?page=0", "")
	if status != http.StatusBadRequest || !strings.Contains(raw, `"page"`) || len(got) != 2 {
		t.Errorf("page 0: %d %s", status, raw)
	}
}
