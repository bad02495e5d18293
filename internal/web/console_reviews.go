package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// The console's pages for reviews, manual tasks, the disclosure register and the transparency report.

func (s *server) handleConsoleReviews() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rows []ReviewView
		if err := s.callAPI(r.Context(), currentSession(r).Principal, "GET", "/api/v1/reviews", nil, &rows); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "reviews", view{Title: "Pending reviews", Nav: "reviews", Data: rows})
	})
}

type taskPage struct {
	T    TaskView
	Open bool
}

// Conflict reports a job that ended identity_conflict, resolved by confirm or drop.
func (p taskPage) Conflict() bool { return p.T.Kind == workflows.TaskIdentityConflict }

// Unverified reports whether an identity type of the task was not verified: it may only confirm a
// record the verified identities found, never select one on its own.
func (p taskPage) Unverified(typ string) bool { return slices.Contains(p.T.Unverified, typ) }

func (s *server) handleConsoleTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.showTaskPage(w, r, http.StatusOK, "") })
}

func (s *server) showTaskPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	var t TaskView
	if err := s.callAPI(r.Context(), currentSession(r).Principal, "GET", "/api/v1/tasks/"+url.PathEscape(r.PathValue("id")), nil, &t); err != nil {
		s.renderFailure(w, r, err)
		return
	}
	flash := ""
	if r.URL.Query().Get("done") == "answered" {
		flash = "Your answer was recorded."
	}
	s.render(w, r, status, "task", view{Title: "Task " + t.ID, Nav: "reviews", Flash: flash, Error: errMsg, Data: taskPage{T: t, Open: t.Status == "open"}})
}

func (s *server) handleConsoleTaskOutcome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		body := map[string]string{"outcome": r.PostFormValue("outcome"), "reason": strings.TrimSpace(r.PostFormValue("reason"))}
		path := "/api/v1/tasks/" + url.PathEscape(id) + "/outcome"
		if resolution := r.PostFormValue("resolution"); resolution != "" {
			// An identity conflict is its job's resolution, confirm or drop.
			body = map[string]string{"action": resolution, "reason": body["reason"]}
			path = "/api/v1/requests/" + url.PathEscape(workflows.TaskWorkflowID(id)) + "/jobs/" + url.PathEscape(r.PostFormValue("job")) + "/resolve"
		}
		if err := s.callAPI(r.Context(), currentSession(r).Principal, "POST", path, body, nil); err != nil {
			if isFormError(err) {
				s.showTaskPage(w, r, httpStatus[dsrflow.ErrorCode(err)], dsrflow.ErrorMessage(err))
				return
			}
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, "/console/tasks/"+url.PathEscape(id)+"?done=answered", http.StatusSeeOther)
	})
}

type yearPage struct {
	Year int
	Rows any
}

func (s *server) handleConsoleRegister() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		year, err := s.yearParam(r)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		var rows []RegisterRow
		if err := s.callAPI(r.Context(), currentSession(r).Principal, "GET", "/api/v1/disclosures?year="+url.QueryEscape(r.URL.Query().Get("year")), nil, &rows); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "register", view{Title: "Disclosure register", Nav: "register", Data: yearPage{Year: year, Rows: rows}})
	})
}

func (s *server) handleConsoleReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		year, err := s.yearParam(r)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		var rows []store.TransparencyRow
		if err := s.callAPI(r.Context(), currentSession(r).Principal, "GET", "/api/v1/reports/transparency?year="+strconv.Itoa(year), nil, &rows); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "report", view{Title: "Transparency report", Nav: "register", Data: yearPage{Year: year, Rows: rows}})
	})
}
