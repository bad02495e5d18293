package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/web"
)

// `starter assign`, `starter note` and `starter list`'s queue flags are clients of the front door's
// routes: what the command line says reaches the request service, and bad flags are refused before
// any call.
func TestAssignNoteAndListFlags(t *testing.T) {
	svc := &fake.RequestService{}
	var assigned, noted []string
	var listed []dsrflow.RequestQuery
	svc.AssignRequestFn = func(_ context.Context, id, assignee string) (dsrflow.Assigned, error) {
		assigned = append(assigned, id+"="+assignee)
		if assignee == "me" {
			assignee = "token:anna"
		}
		return dsrflow.Assigned{ID: id, Assignee: assignee}, nil
	}
	svc.AddNoteFn = func(_ context.Context, id, text string) (dsrflow.NoteView, error) {
		noted = append(noted, id+": "+text)
		return dsrflow.NoteView{ID: 7, Author: "token:anna", Text: text}, nil
	}
	svc.ListRequestsFn = func(_ context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
		listed = append(listed, q)
		return []dsrflow.SummaryView{{ID: "dsr_1", Type: "access", Status: "fulfilling", Country: "NO", Due: "2026-12-24", DaysLeft: 22}}, nil
	}
	srv := httptest.NewServer(web.NewServer(web.Deps{Service: svc, Auth: web.DevToken("tok")}))
	defer srv.Close()
	env := map[string]string{"DSR_URL": srv.URL, "DSR_TOKEN": "tok"}

	if code, out, errOut := runStarter(t, env, "assign", "dsr_1", "--me"); code != 0 || !strings.Contains(out, "dsr_1: assigned to token:anna") {
		t.Errorf("assign --me: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runStarter(t, env, "assign", "dsr_1", "--nobody"); code != 0 || !strings.Contains(out, "assigned to nobody") {
		t.Errorf("assign --nobody: %d %q", code, out)
	}
	if code, _, errOut := runStarter(t, env, "assign", "dsr_1", "--me", "--to", "token:bo"); code == 0 || !strings.Contains(errOut, "exactly one of --to, --me and --nobody") {
		t.Errorf("assign with two choices: %d %q", code, errOut)
	}
	if code, out, errOut := runStarter(t, env, "note", "dsr_1", "--text", "called back"); code != 0 || !strings.Contains(out, "dsr_1: note 7 added by token:anna") {
		t.Errorf("note: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runStarter(t, env, "note", "dsr_1", "--text", "  "); code == 0 || !strings.Contains(errOut, "--text is required") {
		t.Errorf("an empty note: %d %q", code, errOut)
	}
	if got := strings.Join(assigned, ",") + " | " + strings.Join(noted, ","); got != "dsr_1=me,dsr_1= | dsr_1: called back" {
		t.Errorf("the service was asked: %s", got)
	}

	if code, out, errOut := runStarter(t, env, "list", "--assignee", "me", "--open", "--page", "3", "--type", "access"); code != 0 || !strings.Contains(out, "dsr_1") {
		t.Fatalf("list: %d %q %q", code, out, errOut)
	}
	if q := listed[0]; q.Assignee != "me" || !q.Open || q.Type != "access" || q.Offset != 200 || q.Limit != 100 {
		t.Errorf("list's query reached the service as %+v", q)
	}
	if code, _, errOut := runStarter(t, env, "list", "--page", "0"); code == 0 || !strings.Contains(errOut, "--page") {
		t.Errorf("list --page 0: %d %q", code, errOut)
	}
}
