package web

import (
	"net/http"
	"strconv"

	"github.com/dsrflow/dsrflow"
)

// RegisterRow is one row of GET /api/v1/disclosures: the disclosure register.
type RegisterRow = dsrflow.RegisterRow

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
		out, err := s.svc().DisclosureRegister(r.Context(), year)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}
