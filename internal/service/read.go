package service

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// GetRequest implements dsrflow.RequestService.
func (s *Service) GetRequest(ctx context.Context, id string) (dsrflow.RequestView, error) {
	p, err := caller(ctx, everyone...)
	if err != nil {
		return dsrflow.RequestView{}, err
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return dsrflow.RequestView{}, err
	}
	view := dsrflow.RequestView{ID: req.ID, Type: string(req.Type), Status: string(req.Status), Country: req.Country, Jurisdiction: req.Jurisdiction, Residence: req.Residence, Language: req.Language,
		Received: req.ReceivedAt, Due: deadline.DateOfEnd(req.DueAt, req.Country), Closed: req.ClosedAt,
		Jobs: []dsrflow.JobView{}, Decisions: []dsrflow.DecisionView{}, Events: []dsrflow.EventView{}}
	if req.ExtendedDueAt != nil {
		view.ExtendedDue = deadline.DateOfEnd(*req.ExtendedDueAt, req.Country)
	}
	jobs, err := s.Store.ListJobs(ctx, id)
	if err != nil {
		return dsrflow.RequestView{}, err
	}
	for _, j := range jobs {
		jv := dsrflow.JobView{Connector: j.ConnectorID, Owner: j.Owner, Role: j.Role, Action: j.Action, Status: j.Status, Detail: j.Detail, Attempts: j.Attempts}
		_ = json.Unmarshal(j.Exemptions, &jv.Exemptions)
		view.Jobs = append(view.Jobs, jv)
	}
	decisions, err := s.Store.ListDecisions(ctx, id)
	// Once the request's personal data is shredded the reviewers' reasons are gone; the timeline
	// below still shows their decisions.
	if err != nil && dsrflow.ErrorCode(err) != dsrflow.EGONE {
		return dsrflow.RequestView{}, err
	}
	for _, d := range decisions {
		view.Decisions = append(view.Decisions, dsrflow.DecisionView{Reviewer: d.Reviewer, Decision: string(d.Decision), Reason: d.Reason, Time: d.At})
	}
	events, err := s.Store.ListAudit(ctx, id)
	if err != nil {
		return dsrflow.RequestView{}, err
	}
	for _, e := range events {
		view.Events = append(view.Events, dsrflow.EventView{Time: e.At, Action: e.Action, Actor: e.Actor, Reason: e.Reason, Detail: e.Detail})
		if e.Action == repeatFlagged {
			view.RepeatOf = e.Detail["earlier"]
		}
		if e.Action == workflows.AuditLifted {
			at := e.At
			view.RestrictionLifted = &at
		}
	}
	// The agent by name and permission hash; their address serves the acknowledgement's copy only.
	switch a, err := s.Store.GetRequestAgent(ctx, id); dsrflow.ErrorCode(err) {
	case "":
		view.Agent = &dsrflow.Agent{Name: a.Name, PermissionSHA256: a.PermissionSHA256}
	case dsrflow.ENOTFOUND, dsrflow.EGONE:
	default:
		return dsrflow.RequestView{}, err
	}
	if err := s.queueView(ctx, p, req, &view); err != nil {
		return dsrflow.RequestView{}, err
	}
	return view, nil
}

// listStatuses are the statuses a list may filter on.
var listStatuses = []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusVerifying, dsrflow.StatusInReview, dsrflow.StatusFulfilling,
	dsrflow.StatusAwaitingTasks, dsrflow.StatusResponding, dsrflow.StatusCompleted, dsrflow.StatusRejected, dsrflow.StatusLapsed, dsrflow.StatusCanceled, dsrflow.StatusAborted}

// ListRequests implements dsrflow.RequestService.
func (s *Service) ListRequests(ctx context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
	p, err := caller(ctx, everyone...)
	if err != nil {
		return nil, err
	}
	now := s.now()
	f := store.RequestFilter{Status: q.Status, Type: q.Type, Country: strings.ToUpper(q.Country), Open: q.Open, Closed: q.Closed, Desc: q.Desc, Limit: 100}
	if q.Open && q.Closed {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "open and closed exclude each other")
	}
	if q.Offset < 0 {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "offset must not be negative")
	}
	f.Offset = q.Offset
	switch q.Assignee {
	case "":
	case "me":
		f.Assignee = p.ID
	case "none":
		f.Unassigned = true
	default:
		f.Assignee = q.Assignee
	}
	if f.Status != "" && !slices.Contains(listStatuses, dsrflow.Status(f.Status)) {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "unknown status %q", f.Status)
	}
	// The index holds authority disclosures beside subjects' requests (README: `starter list --type
	// disclosure`).
	if f.Type != "" && f.Type != workflows.TypeDisclosure && !dsrflow.RequestType(f.Type).Valid() {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "unknown type %q; one of %s, %s", f.Type, joinTypes(), workflows.TypeDisclosure)
	}
	if q.Overdue {
		f.Overdue, f.Now = true, now
	}
	if q.DueWithin != "" {
		d, err := ParseDays(q.DueWithin)
		if err != nil {
			return nil, err
		}
		f.Open, f.DueBefore = true, now.Add(d)
	}
	if q.Limit != 0 {
		if q.Limit < 1 || q.Limit > 1000 {
			return nil, dsrflow.Errorf(dsrflow.EINVALID, "limit must be 1 to 1000")
		}
		f.Limit = q.Limit
	}
	if q.Email != "" {
		// Finding a person's requests is an agent's task; reviewers see cases, not people.
		if p.Role != dsrflow.RoleAgent && p.Role != dsrflow.RoleDPO && p.Role != dsrflow.RoleAdmin {
			return nil, dsrflow.Errorf(dsrflow.EFORBIDDEN, "role %s may not search by email", p.Role)
		}
		f.SubjectKey = s.Key.SubjectKey(q.Email)
	}
	rows, err := s.Store.ListRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]dsrflow.SummaryView, 0, len(rows))
	for _, req := range rows {
		sv := dsrflow.SummaryView{ID: req.ID, Type: string(req.Type), Status: string(req.Status), Country: req.Country, Received: req.ReceivedAt,
			Due: deadline.DateOfEnd(req.DueAt, req.Country), Open: req.ClosedAt == nil, Assignee: req.Assignee}
		if sv.Open {
			sv.DaysLeft = int(req.DueAt.Sub(now).Hours() / 24)
		}
		// Who a request is about, masked, for the people who handle requests: one detail read per row
		// of a page.
		if seesSubjects(p.Role) && req.Type != workflows.TypeDisclosure {
			in, ok, err := s.readInputs(ctx, req.ID)
			if err != nil {
				return nil, err
			}
			if ok {
				sv.Subject = maskedSubject(in.Identity)
			}
		}
		out = append(out, sv)
	}
	return out, nil
}

// ParseDays reads a duration such as "7d" or "36h".
func ParseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	return 0, dsrflow.Errorf(dsrflow.EINVALID, "due_within must be days (7d) or a duration (36h)")
}

// RequestMessages implements dsrflow.RequestService.
func (s *Service) RequestMessages(ctx context.Context, id string) ([]dsrflow.MessageView, error) {
	if _, err := caller(ctx, everyone...); err != nil {
		return nil, err
	}
	if _, err := s.Store.GetRequest(ctx, id); err != nil {
		return nil, err
	}
	msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id, Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]dsrflow.MessageView, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, dsrflow.MessageView{Kind: m.Kind, Subject: m.Subject, Created: m.CreatedAt, Sent: m.SentAt})
	}
	return out, nil
}

// RequestExport implements dsrflow.RequestService.
func (s *Service) RequestExport(ctx context.Context, id string) (dsrflow.Export, error) {
	if _, err := caller(ctx, agents...); err != nil {
		return dsrflow.Export{}, err
	}
	exp, err := s.Store.GetExport(ctx, id)
	if err != nil {
		return dsrflow.Export{}, err
	}
	return dsrflow.Export{RequestID: exp.RequestID, Data: exp.Data, ExpiresAt: exp.ExpiresAt}, nil
}

// ExportGone is the one refusal of a subject's download, whatever the reason.
const ExportGone = "this download link is invalid or has expired"

// DownloadExport implements dsrflow.RequestService.
func (s *Service) DownloadExport(ctx context.Context, id string) (dsrflow.Export, error) {
	if _, err := caller(ctx, agents...); err != nil {
		return dsrflow.Export{}, err
	}
	now := s.now()
	exp, err := s.Store.GetExport(ctx, id)
	// A shredded request's export (EGONE) is refused like an expired one: the link says nothing more.
	if code := dsrflow.ErrorCode(err); code == dsrflow.ENOTFOUND || code == dsrflow.EGONE || err == nil && now.After(exp.ExpiresAt) {
		return dsrflow.Export{}, dsrflow.Errorf(dsrflow.ENOTFOUND, ExportGone)
	}
	if err != nil {
		return dsrflow.Export{}, err
	}
	if _, err := s.Store.AppendAudit(ctx, store.AuditEvent{At: now.UTC(), RequestID: id, Action: "export_downloaded", Actor: "subject"}); err != nil {
		return dsrflow.Export{}, err
	}
	return dsrflow.Export{RequestID: exp.RequestID, Data: exp.Data, ExpiresAt: exp.ExpiresAt}, nil
}
