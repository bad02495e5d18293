package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
)

// The queue on the real store (SQLite): assigning, notes kept encrypted and audited without their text,
// the subject masked for agents and never shown to reviewers, open requests by default with pages.
func TestQueueAssignNotesAndSubjects(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s, _, st := newStoreService(t, &now)
	ctx := context.Background()
	alice := asWho("token:alice", dsrflow.RoleAgent)
	created, err := s.CreateRequest(alice, dsrflow.NewRequest{Type: "access", Email: "jane.smith@example.com", Name: "Jane Smith", Channel: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID

	// Assign to me, then to someone, then to nobody; a malformed id names the field.
	a, err := s.AssignRequest(alice, id, "me")
	if err != nil || a.Assignee != "token:alice" {
		t.Fatalf("assign to me: %+v %v", a, err)
	}
	if _, err := s.AssignRequest(alice, id, "two words"); dsrflow.ErrorCode(err) != dsrflow.EINVALID || err.(*dsrflow.Error).Fields["assignee"] == "" {
		t.Errorf("a malformed assignee: %v", err)
	}
	mine, err := s.ListRequests(alice, dsrflow.RequestQuery{Assignee: "me", Open: true})
	if err != nil || len(mine) != 1 || mine[0].Assignee != "token:alice" {
		t.Fatalf("mine: %+v %v", mine, err)
	}
	if got := mine[0].Subject; got == nil || got.Email != "j***@example.com" || got.Name != "Jane S." {
		t.Errorf("the agent's row shows the subject as %+v, want j***@example.com, Jane S.", got)
	}
	if none, _ := s.ListRequests(alice, dsrflow.RequestQuery{Assignee: "none"}); len(none) != 0 {
		t.Errorf("unassigned lists %d", len(none))
	}

	// A note: stored encrypted, shown with author and time, audited without its text.
	if _, err := s.AddNote(alice, id, "   "); dsrflow.ErrorCode(err) != dsrflow.EINVALID || err.(*dsrflow.Error).Fields["text"] == "" {
		t.Errorf("an empty note: %v", err)
	}
	if _, err := s.AddNote(alice, id, strings.Repeat("x", dsrflow.MaxNote+1)); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("a long note: %v", err)
	}
	if _, err := s.AddNote(alice, id, " Jane called: she moved to Bergen "); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	if err := st.UnsafeDB().GetContext(ctx, &raw, `SELECT body FROM request_notes`); err != nil || strings.Contains(string(raw), "Bergen") {
		t.Errorf("the note rests in clear (%v)", err)
	}
	v, err := s.GetRequest(alice, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Notes) != 1 || v.Notes[0].Text != "Jane called: she moved to Bergen" || v.Notes[0].Author != "token:alice" || !v.Notes[0].Time.Equal(now) {
		t.Errorf("notes: %+v", v.Notes)
	}
	if v.Subject == nil || v.Subject.Email != "j***@example.com" || v.Channel != "phone" || v.Verification != "email_code" || v.Assignee != "token:alice" {
		t.Errorf("the agent's view: subject %+v, channel %q, verification %q, assignee %q", v.Subject, v.Channel, v.Verification, v.Assignee)
	}
	var noted, assigned bool
	for _, e := range v.Events {
		if e.Action == service.NoteAddedAction {
			noted = true
			if e.Reason != "" || strings.Contains(strings.Join(mapValues(e.Detail), " "), "Bergen") || e.Actor != "token:alice" {
				t.Errorf("note_added carries %+v", e)
			}
		}
		assigned = assigned || e.Action == service.AssignedAction
	}
	if !noted || !assigned {
		t.Errorf("audited: note_added %v, assigned %v", noted, assigned)
	}

	// Reviewers see cases, not people.
	rita := asWho("token:rita", dsrflow.RoleReviewer)
	rv, err := s.GetRequest(rita, id)
	if err != nil || rv.Subject != nil || rv.Notes != nil || rv.Channel != "" {
		t.Errorf("a reviewer's view shows subject %+v, notes %+v, channel %q (%v)", rv.Subject, rv.Notes, rv.Channel, err)
	}
	rows, err := s.ListRequests(rita, dsrflow.RequestQuery{})
	if err != nil || len(rows) != 1 || rows[0].Subject != nil {
		t.Errorf("a reviewer's list: %+v %v", rows, err)
	}
	if _, err := s.AddNote(rita, id, "x"); dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN {
		t.Errorf("a reviewer's note: %v", err)
	}

	// Pages and closed requests: a closed request is not in the open list and counts no days.
	for i := 0; i < 3; i++ {
		if _, err := s.CreateRequest(alice, dsrflow.NewRequest{Type: "erasure", Email: "p" + string(rune('a'+i)) + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetRequestStatus(ctx, id, string(dsrflow.StatusLapsed), now, true); err != nil {
		t.Fatal(err)
	}
	open, _ := s.ListRequests(alice, dsrflow.RequestQuery{Open: true, Limit: 2})
	rest, _ := s.ListRequests(alice, dsrflow.RequestQuery{Open: true, Limit: 2, Offset: 2})
	if len(open) != 2 || len(rest) != 1 || open[0].ID == rest[0].ID {
		t.Errorf("pages of 2: %d then %d", len(open), len(rest))
	}
	closed, _ := s.ListRequests(alice, dsrflow.RequestQuery{Closed: true})
	if len(closed) != 1 || closed[0].ID != id || closed[0].Open || closed[0].DaysLeft != 0 {
		t.Errorf("closed: %+v", closed)
	}
	if _, err := s.AssignRequest(alice, id, "me"); dsrflow.ErrorCode(err) != dsrflow.ECONFLICT {
		t.Errorf("assigning a closed request: %v", err)
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestMasks(t *testing.T) {
	for in, want := range map[string]string{"jane.smith@example.com": "j***@example.com", "": "", "nobody": "***"} {
		if got := dsrflow.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Jane Smith": "Jane S.", "Jane": "Jane", " Ana  María López ": "Ana L.", "": ""} {
		if got := dsrflow.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}
