package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/dsrflow/dsrflow"
)

// RegisterRow is one row of GET /api/v1/disclosures: the disclosure register. It names the authority,
// the case and what was disclosed, never the subjects.
type RegisterRow struct {
	ID                  string     `json:"id"`
	Authority           string     `json:"authority"`
	Country             string     `json:"country"`
	CaseRef             string     `json:"case_ref"`
	LegalBasis          string     `json:"legal_basis"`
	CourtOrder          string     `json:"court_order,omitempty"`
	Court               string     `json:"court,omitempty"`
	OrderDate           string     `json:"order_date,omitempty"`
	CategoriesRequested []string   `json:"categories_requested"`
	CategoriesDisclosed []string   `json:"categories_disclosed"`
	Subjects            int        `json:"subjects"`
	Outcome             string     `json:"outcome"`
	Approvers           []string   `json:"approvers"`
	GagUntil            string     `json:"gag_until,omitempty"`
	Received            time.Time  `json:"received"`
	Decided             *time.Time `json:"decided,omitempty"`
	Disclosed           *time.Time `json:"disclosed,omitempty"`
}

// yearParam reads ?year=, the current year when absent.
func (s *server) yearParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return s.now().UTC().Year(), nil
	}
	year, err := strconv.Atoi(v)
	if err != nil || year < 1970 || year > 9999 {
		return 0, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "year must be a year, like 2026", Fields: map[string]string{"year": "must be a year, like 2026"}}
	}
	return year, nil
}

func (s *server) handleRegister() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		year, err := s.yearParam(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		list, err := s.Store.ListDisclosures(r.Context(), from, from.AddDate(1, 0, 0))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := make([]RegisterRow, 0, len(list))
		for _, d := range list {
			out = append(out, RegisterRow{ID: d.RequestID, Authority: d.Authority, Country: d.Country, CaseRef: d.CaseRef, LegalBasis: d.LegalBasis,
				CourtOrder: d.CourtOrder, Court: d.Court, OrderDate: d.OrderDate, CategoriesRequested: d.CategoriesRequested,
				CategoriesDisclosed: d.CategoriesDisclosed, Subjects: d.Subjects, Outcome: string(d.Outcome), Approvers: d.Approvers,
				GagUntil: d.GagUntil, Received: d.ReceivedAt, Decided: d.DecidedAt, Disclosed: d.DisclosedAt})
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// RequestTaskView is one manual task of a request, as GET /api/v1/requests/{id}/tasks lists them: what
// the team must do and its answer, without the subject's identity (GET /api/v1/tasks/{id} has it).
type RequestTaskView struct {
	ID           string     `json:"id"`
	Connector    string     `json:"connector"`
	Owner        string     `json:"owner"`
	Action       string     `json:"action"`
	Instructions string     `json:"instructions"`
	Status       string     `json:"status"`
	By           string     `json:"by,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Created      time.Time  `json:"created"`
	Answered     *time.Time `json:"answered,omitempty"`
}

func (s *server) handleRequestTasks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := s.Store.GetRequest(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
		out := []RequestTaskView{}
		tasks, err := s.workflowTasks(r.Context(), id)
		if dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
			// Past Temporal's retention a closed request's tasks live on in the audit trail only.
			writeJSON(w, http.StatusOK, out)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, t := range tasks {
			out = append(out, RequestTaskView{ID: t.ID, Connector: t.Connector, Owner: t.Owner, Action: string(t.Action), Instructions: t.Instructions,
				Status: t.Status, By: t.By, Reason: t.Reason, Created: t.Created, Answered: t.Answered})
		}
		writeJSON(w, http.StatusOK, out)
	})
}
