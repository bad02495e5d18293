package service

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The support team's work queue: assignees, internal notes, and the subject as staff see it.

// Audit actions of the queue. Neither carries personal data: a note's text stays in request_notes.
const (
	AssignedAction  = "assigned"
	NoteAddedAction = "note_added"
)

// seesSubjects reports whether the role is shown who a request is about (masked): agents and the DPO,
// never reviewers, who decide cases, not people.
func seesSubjects(role string) bool {
	return role == dsrflow.RoleAgent || role == dsrflow.RoleDPO || role == dsrflow.RoleAdmin
}

// subjectInputs are the request's inputs as intake recorded them in its detail (Service.record).
type subjectInputs struct {
	Identity                       dsrflow.Identity
	Channel, Verification, Grounds string
	Purposes                       []string
}

// readInputs reads a request's detail; ok is false when it is missing or shredded (the page then shows
// nothing rather than failing).
func (s *Service) readInputs(ctx context.Context, id string) (in subjectInputs, ok bool, err error) {
	d, err := s.Store.GetRequestDetail(ctx, id)
	switch dsrflow.ErrorCode(err) {
	case "":
	case dsrflow.ENOTFOUND, dsrflow.EGONE:
		return in, false, nil
	default:
		return in, false, err
	}
	_ = json.Unmarshal(d.Identity, &in.Identity)
	var details struct {
		Channel      string   `json:"channel"`
		Verification string   `json:"verification"`
		Grounds      string   `json:"grounds"`
		Purposes     []string `json:"purposes"`
	}
	_ = json.Unmarshal(d.Details, &details)
	in.Channel, in.Verification, in.Grounds, in.Purposes = details.Channel, details.Verification, details.Grounds, details.Purposes
	return in, true, nil
}

func maskedSubject(id dsrflow.Identity) *dsrflow.SubjectView {
	return &dsrflow.SubjectView{Email: dsrflow.MaskEmail(id.Email), Name: dsrflow.MaskName(id.Name)}
}

// queueView adds to a request's view what the queue shows: the assignee, and for agents and the DPO the
// masked subject, the channel, how identity was checked and the notes; for an objection, what a
// reviewer decides on.
func (s *Service) queueView(ctx context.Context, p dsrflow.Principal, req store.Request, view *dsrflow.RequestView) error {
	view.Assignee = req.Assignee
	sees := seesSubjects(p.Role)
	if !sees && req.Type != dsrflow.Objection {
		return nil
	}
	in, ok, err := s.readInputs(ctx, req.ID)
	if err != nil {
		return err
	}
	if ok && req.Type == dsrflow.Objection {
		obj := &dsrflow.ObjectionView{Grounds: in.Grounds, Purposes: in.Purposes, Systems: []string{}}
		if obj.Purposes == nil {
			obj.Purposes = []string{}
		}
		if s.Connectors != nil {
			for _, c := range s.Connectors.Select(dsrflow.ActionObject, in.Identity) {
				obj.Systems = append(obj.Systems, c.ID)
			}
		}
		view.Objection = obj
	}
	if !sees {
		return nil
	}
	if ok {
		view.Subject, view.Channel, view.Verification = maskedSubject(in.Identity), in.Channel, in.Verification
	}
	notes, err := s.Store.ListNotes(ctx, req.ID)
	if err != nil && dsrflow.ErrorCode(err) != dsrflow.EGONE {
		return err
	}
	for _, n := range notes {
		view.Notes = append(view.Notes, dsrflow.NoteView{ID: n.ID, Author: n.Author, Time: n.At, Text: n.Body})
	}
	return nil
}

// validAssignee accepts a principal id: printable, no spaces, at most 200 characters.
func validAssignee(a string) bool {
	if a == "" || len(a) > 200 {
		return false
	}
	for _, r := range a {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// AssignRequest implements dsrflow.RequestService.
func (s *Service) AssignRequest(ctx context.Context, id, assignee string) (dsrflow.Assigned, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.Assigned{}, err
	}
	assignee = strings.TrimSpace(assignee)
	if assignee == "me" {
		assignee = p.ID
	}
	if assignee != "" && !validAssignee(assignee) {
		return dsrflow.Assigned{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "assignee must be a person's id (token:NAME, oidc:SUB), me, or empty for nobody", Fields: map[string]string{"assignee": "must be a person's id, me, or empty"}}
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return dsrflow.Assigned{}, err
	}
	if req.ClosedAt != nil {
		return dsrflow.Assigned{}, dsrflow.Errorf(dsrflow.ECONFLICT, "request %s is closed: there is nothing left to handle", id)
	}
	if req.Assignee == assignee {
		return dsrflow.Assigned{ID: id, Assignee: assignee}, nil
	}
	if err := s.Store.SetAssignee(ctx, id, assignee); err != nil {
		return dsrflow.Assigned{}, err
	}
	detail := map[string]string{"assignee": assignee}
	if assignee == "" {
		detail = map[string]string{"assignee": "nobody"}
	}
	if _, err := s.Store.AppendAudit(ctx, store.AuditEvent{At: s.now(), RequestID: id, Action: AssignedAction, Actor: p.ID, Detail: detail}); err != nil {
		return dsrflow.Assigned{}, err
	}
	return dsrflow.Assigned{ID: id, Assignee: assignee}, nil
}

// AddNote implements dsrflow.RequestService.
func (s *Service) AddNote(ctx context.Context, id, text string) (dsrflow.NoteView, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.NoteView{}, err
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return dsrflow.NoteView{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "text is required", Fields: map[string]string{"text": "is required"}}
	case utf8.RuneCountInString(text) > dsrflow.MaxNote:
		return dsrflow.NoteView{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "text must be at most " + strconv.Itoa(dsrflow.MaxNote) + " characters", Fields: map[string]string{"text": "is too long"}}
	}
	if _, err := s.Store.GetRequest(ctx, id); err != nil {
		return dsrflow.NoteView{}, err
	}
	at := s.now().UTC()
	noteID, err := s.Store.AddNote(ctx, store.Note{RequestID: id, Author: p.ID, At: at, Body: text})
	if err != nil {
		if dsrflow.ErrorCode(err) == dsrflow.EGONE {
			return dsrflow.NoteView{}, dsrflow.Errorf(dsrflow.ECONFLICT, "the personal data of request %s was destroyed: no note can be added", id)
		}
		return dsrflow.NoteView{}, err
	}
	if _, err := s.Store.AppendAudit(ctx, store.AuditEvent{At: at, RequestID: id, Action: NoteAddedAction, Actor: p.ID,
		Detail: map[string]string{"note": strconv.FormatInt(noteID, 10)}}); err != nil {
		return dsrflow.NoteView{}, err
	}
	return dsrflow.NoteView{ID: noteID, Author: p.ID, Time: at, Text: text}, nil
}
