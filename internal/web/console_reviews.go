package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dsrflow/dsrflow"
)

// The console's pages for reviews, manual tasks, the disclosure register and the transparency report.

func (s *server) handleConsoleReviews() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rows, err := s.svc().Reviews(r.Context())
		if err != nil {
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

func (s *server) handleConsoleTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.showTaskPage(w, r, http.StatusOK, "") })
}

func (s *server) showTaskPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	t, err := s.svc().Task(r.Context(), r.PathValue("id"))
	if err != nil {
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
		answer := dsrflow.TaskAnswer{Outcome: r.PostFormValue("outcome"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
		if _, err := s.svc().AnswerTask(r.Context(), id, answer); err != nil {
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
		rows, err := s.svc().DisclosureRegister(r.Context(), year)
		if err != nil {
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
		// The report is read from the store here, as the API's route does; both admit the DPO only.
		rows, err := s.Store.TransparencyReport(r.Context(), year)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "report", view{Title: "Transparency report", Nav: "register", Data: yearPage{Year: year, Rows: rows}})
	})
}
