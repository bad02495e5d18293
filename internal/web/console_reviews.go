package web

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/reports"
	"github.com/dsrflow/dsrflow/workflows"
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

// Conflict reports a job that ended identity_conflict, resolved by confirm or drop.
func (p taskPage) Conflict() bool { return p.T.Kind == workflows.TaskIdentityConflict }

// Unverified reports whether an identity type of the task was not verified: it may only confirm a
// record the verified identities found, never select one on its own.
func (p taskPage) Unverified(typ string) bool { return slices.Contains(p.T.Unverified, typ) }

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
	s.render(w, r, status, "task", view{Title: "Task " + t.ID, Nav: "tasks", Flash: flash, Error: errMsg, Data: taskPage{T: t, Open: t.Status == "open"}})
}

func (s *server) handleConsoleTaskOutcome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		var err error
		if resolution := r.PostFormValue("resolution"); resolution != "" {
			// An identity conflict is its job's resolution, confirm or drop.
			_, err = s.svc().ResolveJob(r.Context(), workflows.TaskWorkflowID(id), dsrflow.JobResolution{JobID: r.PostFormValue("job"), Action: resolution, Reason: reason})
		} else {
			_, err = s.svc().AnswerTask(r.Context(), id, dsrflow.TaskAnswer{Outcome: r.PostFormValue("outcome"), Reason: reason})
		}
		if err != nil {
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
		rep, err := s.svc().TransparencyReport(r.Context(), year)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		rows := rep.Authorities
		page := reportPage{Year: year, Total: reportLine{TransparencyRow: reports.TransparencyTotal(rows)}, Routed: rep.Routed}
		page.Total.Open = reports.OpenOrCanceled(page.Total.TransparencyRow)
		for _, row := range rows {
			page.Rows = append(page.Rows, reportLine{TransparencyRow: row, Open: reports.OpenOrCanceled(row)})
		}
		s.render(w, r, http.StatusOK, "report", view{Title: "Transparency report", Nav: "register", Data: page})
	})
}

// reportPage is the transparency report page: a line per authority country, and the totals; then the
// items routed to each customer whose data the group processes (issue 22).
type reportPage struct {
	Year   int
	Rows   []reportLine
	Total  reportLine
	Routed []dsrflow.RoutedCustomerCount
}

// reportLine is a line of the report with its requests neither refused nor complied with.
type reportLine struct {
	dsrflow.TransparencyRow
	Open int
}

// handleConsoleReportCSV answers the transparency report of a year as CSV, in the columns of
// `starter report transparency --csv` (the totals line included), as a download.
func (s *server) handleConsoleReportCSV() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		year, err := s.yearParam(r)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		rep, err := s.svc().TransparencyReport(r.Context(), year)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		var buf bytes.Buffer
		if err := reports.WriteTransparencyCSV(&buf, rep.Authorities); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="transparency-report-`+strconv.Itoa(year)+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(buf.Bytes())
	})
}
