package web

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/reports"
)

// The console's pages for reviews, the disclosure register and the transparency report (manual tasks:
// console_tasks.go).

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
