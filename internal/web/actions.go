package web

import (
	"net/http"
	"sort"
	"strconv"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/workflows"
)

// The request routes of the JSON API: each decodes its input, calls the request service as the caller
// and encodes the answer.

// Views of the API's answers (dsrflow's).
type (
	RequestView  = dsrflow.RequestView
	JobView      = dsrflow.JobView
	DecisionView = dsrflow.DecisionView
	EventView    = dsrflow.EventView
	SummaryView  = dsrflow.SummaryView
	MessageView  = dsrflow.MessageView
)

func (s *server) handleShowRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		view, err := s.svc().GetRequest(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, view)
	})
}

func (s *server) handleListRequests() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := requestQuery(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := s.svc().ListRequests(r.Context(), q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// requestQuery reads a list's filter from the URL's query.
func requestQuery(r *http.Request) (dsrflow.RequestQuery, error) {
	v := r.URL.Query()
	q := dsrflow.RequestQuery{Status: v.Get("status"), Type: v.Get("type"), Country: v.Get("country"), DueWithin: v.Get("due_within"),
		Open: v.Get("open") == "true", Overdue: v.Get("overdue") == "true", Email: v.Get("email"), Assignee: v.Get("assignee"), Closed: v.Get("closed") == "true"}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return q, dsrflow.Errorf(dsrflow.EINVALID, "limit must be 1 to 1000")
		}
		q.Limit = n
	}
	// page N (from 1) skips N-1 pages of limit rows (100 when no limit is given).
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return q, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid list query: page must be a number from 1", Fields: map[string]string{"page": "must be a number from 1"}}
		}
		size := q.Limit
		if size == 0 {
			size = 100
		}
		q.Offset = (n - 1) * size
	}
	return q, nil
}

func (s *server) handleVerify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Code string `json:"code"`
		}
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		st, err := s.svc().VerifyRequest(r.Context(), r.PathValue("id"), body.Code)
		s.answerState(w, r, st, err)
	})
}

func (s *server) handleResend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := decodeEmptyJSON(r); err != nil {
			s.fail(w, r, err)
			return
		}
		st, err := s.svc().ResendCode(r.Context(), r.PathValue("id"))
		s.answerState(w, r, st, err)
	})
}

// handleDecide decides every pending review: an objection's decision or a disclosure's vote. An
// Idempotency-Key header makes a retried vote count once.
func (s *server) handleDecide() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body dsrflow.ReviewDecision
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		body.Key = r.Header.Get("Idempotency-Key")
		d, err := s.svc().Decide(r.Context(), r.PathValue("id"), body)
		s.answerDecided(w, r, d, err)
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
		do := s.svc().ExtendRequest
		if update == workflows.UpdateCancel {
			do = s.svc().CancelRequest
		}
		st, err := do(r.Context(), r.PathValue("id"), body.Reason)
		s.answerState(w, r, st, err)
	})
}

// update sends the job-resolve route's update (jobs.go) through the service and answers with the
// request's state after it.
func (s *server) update(w http.ResponseWriter, r *http.Request, id, name string, arg any) {
	in, ok := arg.(workflows.ResolveJobInput)
	if name != workflows.UpdateResolveJob || !ok {
		s.fail(w, r, dsrflow.Errorf(dsrflow.EINTERNAL, "update %s is not offered by the request service", name))
		return
	}
	st, err := s.svc().ResolveJob(r.Context(), id, dsrflow.JobResolution{JobID: in.JobID, Action: in.Action, Reason: in.Reason})
	s.answerState(w, r, st, err)
}

// answerState answers a change with the request's state after it.
func (s *server) answerState(w http.ResponseWriter, r *http.Request, st dsrflow.RequestState, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// answerDecided answers a decision: the objection's state, or the disclosure vote's.
func (s *server) answerDecided(w http.ResponseWriter, r *http.Request, d dsrflow.Decided, err error) {
	switch {
	case err != nil:
		s.fail(w, r, err)
	case d.Vote != nil:
		writeJSON(w, http.StatusOK, d.Vote)
	case d.Request != nil:
		writeJSON(w, http.StatusOK, d.Request)
	default:
		s.fail(w, r, dsrflow.Errorf(dsrflow.EINTERNAL, "the decision has no answer"))
	}
}

func (s *server) handleRequestMessages() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.svc().RequestMessages(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleOutbox() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.svc().Outbox(r.Context(), dsrflow.OutboxQuery{To: r.URL.Query().Get("to"), RequestID: r.URL.Query().Get("request")})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exp, err := s.svc().RequestExport(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeZip(w, exp.RequestID, exp.Data)
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
