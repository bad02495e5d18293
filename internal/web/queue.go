package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/workflows"
)

// The console as the support team's work queue (/console/requests): open requests first, who handles
// them, the subject masked for agents and the DPO, pages of queuePage rows; and the JSON API's assignee
// and notes routes.

// queuePage is the number of requests on one page of the queue.
const queuePage = 25

func (s *server) handleAssign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Assignee string `json:"assignee"`
		}
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := s.svc().AssignRequest(r.Context(), r.PathValue("id"), body.Assignee)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleAddNote() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Text string `json:"text"`
		}
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := s.svc().AddNote(r.Context(), r.PathValue("id"), body.Text)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, out)
	})
}

func (s *server) handleListRouted() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := s.svc().ListRouted(r.Context(), r.URL.Query().Get("request"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *server) handleInstructRouted() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body dsrflow.RoutedInstructionInput
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := s.svc().InstructRouted(r.Context(), r.PathValue("id"), body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusAccepted, out)
	})
}

type listFilter struct {
	View, Status, Type, Country, Assignee, DueWithin, Q, Sort string
	Overdue                                                   bool
	Page                                                      int
}

// query is the filter as a URL query, with the page and sort given (for the sort and page links).
func (f listFilter) query(page int, sort string) string {
	v := url.Values{}
	for k, s := range map[string]string{"view": f.View, "status": f.Status, "type": f.Type, "country": f.Country, "assignee": f.Assignee,
		"due_within": f.DueWithin, "q": f.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Overdue {
		v.Set("overdue", "true")
	}
	if sort == "-due" {
		v.Set("sort", sort)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return "/console/requests?" + v.Encode()
}

type listRow struct {
	dsrflow.SummaryView
	Left string
	Late bool
}

type option struct{ Value, Label string }

type listData struct {
	Filter                               listFilter
	Rows                                 []listRow
	Views, Statuses, Types, Assignees    []option
	Countries, DueWithin                 []string
	CanSearchEmail, ShowSubject          bool
	First, Last                          int
	PrevLink, NextLink, SortLink, SortBy string
}

var allStatuses = []string{"received", "verifying", "in_review", "fulfilling", "awaiting_tasks", "responding", "completed", "rejected", "lapsed", "canceled"}

func options(values []string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{v, strings.ReplaceAll(v, "_", " ")}
	}
	return out
}

func (s *server) handleConsoleRequests() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := currentSession(r).Principal
		q := r.URL.Query()
		f := listFilter{View: q.Get("view"), Status: q.Get("status"), Type: q.Get("type"), Country: strings.ToUpper(strings.TrimSpace(q.Get("country"))),
			Assignee: q.Get("assignee"), DueWithin: q.Get("due_within"), Q: strings.TrimSpace(q.Get("q")), Overdue: q.Get("overdue") == "true", Sort: q.Get("sort"), Page: 1}
		if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n <= 10000 {
			f.Page = n
		}
		sees := p.Role == RoleAgent || p.Role == RoleDPO || p.Role == RoleAdmin
		data := listData{Filter: f, Statuses: options(allStatuses), DueWithin: []string{"7d", "14d", "30d"}, Countries: deadline.Countries(),
			Views:          []option{{"", "open"}, {"closed", "closed"}, {"all", "all"}},
			Assignees:      []option{{"", "anyone"}, {"me", "mine"}, {"none", "nobody"}},
			CanSearchEmail: sees, ShowSubject: sees}
		for _, t := range dsrflow.RequestTypes {
			data.Types = append(data.Types, option{string(t), strings.ReplaceAll(string(t), "_", " ")})
		}
		data.Types = append(data.Types, option{workflows.TypeDisclosure, "disclosure"})
		query := dsrflow.RequestQuery{Status: f.Status, Type: f.Type, Country: f.Country, DueWithin: f.DueWithin, Overdue: f.Overdue,
			Assignee: f.Assignee, Desc: f.Sort == "-due", Limit: queuePage + 1, Offset: (f.Page - 1) * queuePage}
		switch f.View {
		case "":
			query.Open = true
		case "closed":
			query.Closed = true
		case "all":
		default:
			s.render(w, r, http.StatusBadRequest, "requests", view{Title: "Requests", Nav: "requests", Error: "Show must be open, closed or all.", Data: data})
			return
		}
		if f.Overdue || f.DueWithin != "" {
			query.Closed = false // both are about open requests
		}
		switch {
		case strings.HasPrefix(f.Q, "dsr_"):
			http.Redirect(w, r, "/console/requests/"+url.PathEscape(f.Q), http.StatusSeeOther)
			return
		case strings.Contains(f.Q, "@"):
			// Exact email: the service hashes it with the store's key; the address is never stored or logged.
			// A person's requests are searched open and closed unless a view was chosen.
			query.Email = f.Q
			if f.View == "" {
				query.Open = false
			}
		case f.Q != "":
			s.render(w, r, http.StatusBadRequest, "requests", view{Title: "Requests", Nav: "requests", Error: "Search by a request id (dsr_...) or an exact email address.", Data: data})
			return
		}
		rows, err := s.svc().ListRequests(r.Context(), query)
		if err != nil {
			if dsrflow.ErrorCode(err) == dsrflow.EINVALID || dsrflow.ErrorCode(err) == dsrflow.EFORBIDDEN {
				s.render(w, r, http.StatusBadRequest, "requests", view{Title: "Requests", Nav: "requests", Error: dsrflow.ErrorMessage(err), Data: data})
				return
			}
			s.renderFailure(w, r, err)
			return
		}
		if len(rows) > queuePage {
			rows = rows[:queuePage]
			data.NextLink = f.query(f.Page+1, f.Sort)
		}
		if f.Page > 1 {
			data.PrevLink = f.query(f.Page-1, f.Sort)
		}
		data.SortBy, data.SortLink = "earliest due first", f.query(1, "-due")
		if f.Sort == "-due" {
			data.SortBy, data.SortLink = "latest due first", f.query(1, "")
		}
		if len(rows) > 0 {
			data.First, data.Last = (f.Page-1)*queuePage+1, (f.Page-1)*queuePage+len(rows)
		}
		for _, row := range rows {
			lr := listRow{SummaryView: row, Left: "closed"}
			if row.Open {
				lr.Left, lr.Late = daysLeft(row.DaysLeft), row.DaysLeft < 0
			}
			data.Rows = append(data.Rows, lr)
		}
		s.render(w, r, http.StatusOK, "requests", view{Title: "Requests", Nav: "requests", Flash: flash(r), Data: data})
	})
}
