package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// RequestView is GET /api/v1/requests/{id}.
type RequestView struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Status       string         `json:"status"`
	Country      string         `json:"country"`
	Jurisdiction string         `json:"jurisdiction"`
	Received     time.Time      `json:"received"`
	Due          string         `json:"due"`
	ExtendedDue  string         `json:"extended_due,omitempty"`
	Closed       *time.Time     `json:"closed,omitempty"`
	Jobs         []JobView      `json:"jobs"`
	Decisions    []DecisionView `json:"decisions"`
	Events       []EventView    `json:"events"`
}

// JobView is one connector job of a request.
type JobView struct {
	Connector  string                 `json:"connector"`
	Owner      string                 `json:"owner"`
	Role       string                 `json:"role"`
	Action     string                 `json:"action"`
	Status     string                 `json:"status"`
	Detail     string                 `json:"detail,omitempty"`
	Attempts   int                    `json:"attempts,omitempty"`
	Exemptions []connectors.Exemption `json:"exemptions,omitempty"`
}

// DecisionView is one reviewer's decision.
type DecisionView struct {
	Reviewer string    `json:"reviewer"`
	Decision string    `json:"decision"`
	Reason   string    `json:"reason"`
	Time     time.Time `json:"time"`
}

// EventView is one audit event.
type EventView struct {
	Time   time.Time         `json:"time"`
	Action string            `json:"action"`
	Actor  string            `json:"actor"`
	Reason string            `json:"reason,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
}

// SummaryView is one row of GET /api/v1/requests.
type SummaryView struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Country  string    `json:"country"`
	Received time.Time `json:"received"`
	Due      string    `json:"due"`
	DaysLeft int       `json:"days_left"`
}

func (s *server) handleShowRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := r.PathValue("id")
		req, err := s.Store.GetRequest(ctx, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		view := RequestView{ID: req.ID, Type: string(req.Type), Status: string(req.Status), Country: req.Country, Jurisdiction: req.Jurisdiction,
			Received: req.ReceivedAt, Due: deadline.DateOfEnd(req.DueAt, req.Country), Closed: req.ClosedAt,
			Jobs: []JobView{}, Decisions: []DecisionView{}, Events: []EventView{}}
		if req.ExtendedDueAt != nil {
			view.ExtendedDue = deadline.DateOfEnd(*req.ExtendedDueAt, req.Country)
		}
		jobs, err := s.Store.ListJobs(ctx, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, j := range jobs {
			jv := JobView{Connector: j.ConnectorID, Owner: j.Owner, Role: j.Role, Action: j.Action, Status: j.Status, Detail: j.Detail, Attempts: j.Attempts}
			_ = json.Unmarshal(j.Exemptions, &jv.Exemptions)
			view.Jobs = append(view.Jobs, jv)
		}
		decisions, err := s.Store.ListDecisions(ctx, id)
		// Once the request's personal data is shredded the reviewers' reasons are gone; the timeline
		// below still shows their decisions.
		if err != nil && dsrflow.ErrorCode(err) != dsrflow.EGONE {
			s.fail(w, r, err)
			return
		}
		for _, d := range decisions {
			view.Decisions = append(view.Decisions, DecisionView{Reviewer: d.Reviewer, Decision: string(d.Decision), Reason: d.Reason, Time: d.At})
		}
		events, err := s.Store.ListAudit(ctx, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, e := range events {
			view.Events = append(view.Events, EventView{Time: e.At, Action: e.Action, Actor: e.Actor, Reason: e.Reason, Detail: e.Detail})
		}
		writeJSON(w, http.StatusOK, view)
	})
}

// listStatuses are the statuses a list may filter on.
var listStatuses = []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusVerifying, dsrflow.StatusInReview, dsrflow.StatusFulfilling,
	dsrflow.StatusAwaitingTasks, dsrflow.StatusResponding, dsrflow.StatusCompleted, dsrflow.StatusRejected, dsrflow.StatusLapsed, dsrflow.StatusCanceled, dsrflow.StatusAborted}

func (s *server) handleListRequests() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		now := s.now()
		f := store.RequestFilter{Status: q.Get("status"), Type: q.Get("type"), Country: strings.ToUpper(q.Get("country")), Limit: 100}
		if f.Status != "" && !slices.Contains(listStatuses, dsrflow.Status(f.Status)) {
			s.fail(w, r, dsrflow.Errorf(dsrflow.EINVALID, "unknown status %q", f.Status))
			return
		}
		if f.Type != "" && !dsrflow.RequestType(f.Type).Valid() {
			s.fail(w, r, dsrflow.Errorf(dsrflow.EINVALID, "unknown type %q; one of %s", f.Type, joinTypes()))
			return
		}
		if q.Get("open") == "true" {
			f.Open = true
		}
		if q.Get("overdue") == "true" {
			f.Overdue, f.Now = true, now
		}
		if v := q.Get("due_within"); v != "" {
			d, err := parseDays(v)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			f.Open, f.DueBefore = true, now.Add(d)
		}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				s.fail(w, r, dsrflow.Errorf(dsrflow.EINVALID, "limit must be 1 to 1000"))
				return
			}
			f.Limit = n
		}
		if v := q.Get("email"); v != "" {
			// Finding a person's requests is an agent's task; reviewers see cases, not people.
			if p := principal(r); p.Role != RoleAgent && p.Role != RoleDPO && p.Role != RoleAdmin {
				s.fail(w, r, dsrflow.Errorf(dsrflow.EFORBIDDEN, "role %s may not search by email", p.Role))
				return
			}
			f.SubjectKey = s.Key.SubjectKey(v)
		}
		rows, err := s.Store.ListRequests(r.Context(), f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := make([]SummaryView, 0, len(rows))
		for _, req := range rows {
			out = append(out, SummaryView{ID: req.ID, Type: string(req.Type), Status: string(req.Status), Country: req.Country, Received: req.ReceivedAt,
				Due: deadline.DateOfEnd(req.DueAt, req.Country), DaysLeft: int(req.DueAt.Sub(now).Hours() / 24)})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// parseDays reads a duration such as "7d" or "36h".
func parseDays(v string) (time.Duration, error) {
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

// handleVerify checks the code against the store (atomically counting attempts) and only then tells the
// workflow: the code never enters workflow history.
func (s *server) handleVerify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Code string `json:"code"`
		}
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		id := r.PathValue("id")
		code := strings.TrimSpace(body.Code)
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "the code is 6 digits", Fields: map[string]string{"code": "must be 6 digits"}})
			return
		}
		check, err := s.Store.CheckCode(r.Context(), id, s.Key.CodeHash(id, code), s.now())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		switch {
		case check.NoCode:
			if _, err := s.Store.GetRequest(r.Context(), id); dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
				s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, "request not found"))
				return
			}
			s.Metrics.Verification(metrics.VerifyNoCode)
			s.fail(w, r, dsrflow.Errorf(dsrflow.ECONFLICT, "this request has no code to check"))
			return
		case check.AlreadyVerified && !check.OK, check.Expired:
			s.Metrics.Verification(metrics.VerifyExpired)
			s.fail(w, r, dsrflow.Errorf(dsrflow.ECONFLICT, "the code has expired; ask for a new one"))
			return
		case !check.OK:
			msg := "wrong code; " + strconv.Itoa(check.AttemptsLeft) + " attempts left"
			outcome := metrics.VerifyWrong
			if check.AttemptsLeft == 0 {
				msg = "wrong code; no attempts left: ask for a new code"
				outcome = metrics.VerifyDead
			}
			s.Metrics.Verification(outcome)
			e := &dsrflow.Error{Code: dsrflow.EINVALID, Message: msg, Fields: map[string]string{"code": "wrong", "attempts_left": strconv.Itoa(check.AttemptsLeft)}}
			s.fail(w, r, e)
			return
		}
		s.Metrics.Verification(metrics.VerifyOK)
		p := principal(r)
		s.update(w, r, id, workflows.UpdateVerified, workflows.VerifiedInput{Actor: workflows.Actor{ID: p.ID, Role: p.Role}})
	})
}

func (s *server) handleResend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := decodeEmptyJSON(r); err != nil {
			s.fail(w, r, err)
			return
		}
		p := principal(r)
		s.update(w, r, r.PathValue("id"), workflows.UpdateResend, workflows.ResendInput{Actor: workflows.Actor{ID: p.ID, Role: p.Role}})
	})
}

func (s *server) handleDecide() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body voteBody
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		// One route decides every pending review: a disclosure's vote goes to its own workflow.
		req, err := s.Store.GetRequest(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if req.Type == workflows.TypeDisclosure {
			s.vote(w, r, req, body)
			return
		}
		if len(body.Scope) > 0 {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "only a disclosure's scope can be narrowed", Fields: map[string]string{"scope": "only for disclosures"}})
			return
		}
		p := principal(r)
		s.update(w, r, r.PathValue("id"), workflows.UpdateDecide, workflows.DecisionInput{Actor: workflows.Actor{ID: p.ID, Role: p.Role}, Decision: body.Decision, Reason: body.Reason})
	})
}

// handleReasoned serves the updates whose body is just a reason: extend and cancel.
func (s *server) handleReasoned(update string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Reason string `json:"reason"`
		}
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		p := principal(r)
		actor := workflows.Actor{ID: p.ID, Role: p.Role}
		var arg any = workflows.ExtendInput{Actor: actor, Reason: body.Reason}
		if update == workflows.UpdateCancel {
			arg = workflows.CancelInput{Actor: actor, Reason: body.Reason}
		}
		s.update(w, r, r.PathValue("id"), update, arg)
	})
}

// update sends a workflow update and answers with the request's state after it.
func (s *server) update(w http.ResponseWriter, r *http.Request, id, name string, arg any) {
	req, err := s.Store.GetRequest(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.ClosedAt != nil {
		s.fail(w, r, dsrflow.Errorf(dsrflow.ECONFLICT, "request is %s: it can no longer change", req.Status))
		return
	}
	if req.Type == workflows.TypeDisclosure {
		s.fail(w, r, dsrflow.Errorf(dsrflow.ECONFLICT, "%s is an authority disclosure: it has no %s", req.ID, name))
		return
	}
	handle, err := s.Client.UpdateWorkflow(r.Context(), client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var st workflows.State
	if err := handle.Get(r.Context(), &st); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": st.Status, "due": deadline.DateOfEnd(st.Due, req.Country), "extended": st.Extended, "verified": st.Verified})
}

// MessageView is one message queued for the subject of a request: what and when, not the text.
type MessageView struct {
	Kind    string     `json:"kind"`
	Subject string     `json:"subject"`
	Created time.Time  `json:"created"`
	Sent    *time.Time `json:"sent,omitempty"`
}

func (s *server) handleRequestMessages() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := s.Store.GetRequest(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
		msgs, err := s.Store.ListOutbox(r.Context(), store.OutboxFilter{RequestID: id, Limit: 1000})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := make([]MessageView, 0, len(msgs))
		for _, m := range msgs {
			out = append(out, MessageView{Kind: m.Kind, Subject: m.Subject, Created: m.CreatedAt, Sent: m.SentAt})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleOutbox() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msgs, err := s.Store.ListOutbox(r.Context(), store.OutboxFilter{To: r.URL.Query().Get("to"), RequestID: r.URL.Query().Get("request"), Limit: 1000})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		type view struct {
			ID        string     `json:"id"`
			RequestID string     `json:"request_id"`
			Kind      string     `json:"kind"`
			To        string     `json:"to"`
			Subject   string     `json:"subject"`
			Body      string     `json:"body"`
			Created   time.Time  `json:"created"`
			Sent      *time.Time `json:"sent,omitempty"`
		}
		out := make([]view, 0, len(msgs))
		for _, m := range msgs {
			out = append(out, view{m.ID, m.RequestID, m.Kind, m.To, m.Subject, m.Body, m.CreatedAt, m.SentAt})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		exp, err := s.Store.GetExport(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeExport(w, r, exp)
	})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
