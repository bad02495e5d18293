package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/reports"
)

// The DPO's request statistics (issue 17): GET /api/v1/reports/stats as JSON, the console page
// /console/stats with SVG charts and the same numbers in tables, and /console/stats.csv. Every form
// asks the service for a year (default: this year, UTC) and a period (month or quarter).

// statsQuery reads ?year= and ?period= (the service checks the period).
func (s *server) statsQuery(r *http.Request) (dsrflow.StatsQuery, error) {
	year, err := s.yearParam(r)
	if err != nil {
		return dsrflow.StatsQuery{}, err
	}
	return dsrflow.StatsQuery{Year: year, Period: r.URL.Query().Get("period")}, nil
}

func (s *server) handleStatsAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := s.statsQuery(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		st, err := s.svc().RequestStats(r.Context(), q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
}

// statsPage is the statistics page: the year's figures in cards, charts and tables.
type statsPage struct {
	S       dsrflow.RequestStats
	Total   statsLine
	Periods []string
	Charts  []chart
	Tables  []statsTable
	CSV     string
}

// statsTable is one table of the page: a row per period, type or country.
type statsTable struct {
	ID, Caption, KeyHeader string
	Lines                  []statsLine
}

// statsLine is a row with its share and median as the page writes them: "–" where nothing was answered.
type statsLine struct {
	dsrflow.StatsRow
	Share, Median string
}

func newStatsLine(r dsrflow.StatsRow) statsLine {
	l := statsLine{StatsRow: r, Share: "–", Median: "–"}
	if r.Answered > 0 {
		l.Share = fmt.Sprintf("%.0f%%", r.OnTimeShare*100)
		l.Median = strconv.FormatFloat(r.MedianDays, 'f', 1, 64)
	}
	return l
}

func statsLines(rows []dsrflow.StatsRow) []statsLine {
	out := make([]statsLine, len(rows))
	for i, r := range rows {
		out[i] = newStatsLine(r)
	}
	return out
}

// receivedChart draws the requests received per row.
func receivedChart(id, title, caption string, rows []dsrflow.StatsRow) chart {
	c := newChart(id, title, caption)
	max := 0
	for _, r := range rows {
		max = maxInt(max, r.Received)
	}
	for _, r := range rows {
		c.add(r.Key, float64(r.Received), float64(max), fmt.Sprint(r.Received), "#1f5fbf")
	}
	return c
}

// onTimeChart draws the share answered on time per period, coloured as the dashboard's.
func onTimeChart(st dsrflow.RequestStats) chart {
	c := newChart("ontime", "Answered on time, by "+st.Period, "Share of the requests answered in each "+st.Period+" that were answered by their due date; median days from receipt to answer.")
	for _, r := range st.Periods {
		if r.Answered == 0 {
			c.add(r.Key, 0, 1, "no answers", "#1e7a3c")
			continue
		}
		fill := "#1e7a3c"
		if r.OnTimeShare < 0.95 {
			fill = "#9a6700"
		}
		if r.OnTimeShare < 0.8 {
			fill = "#b3261e"
		}
		c.add(r.Key, r.OnTimeShare, 1, fmt.Sprintf("%.0f%% of %d on time · median %.1f days", r.OnTimeShare*100, r.Answered, r.MedianDays), fill)
	}
	return c
}

func statsCSVHref(q dsrflow.StatsQuery) string {
	return "/console/stats.csv?" + url.Values{"year": {strconv.Itoa(q.Year)}, "period": {q.Period}}.Encode()
}

// requestStats reads the statistics the page's query asks for; on a bad query or a failure it has
// answered the error page, and ok is false.
func (s *server) requestStats(w http.ResponseWriter, r *http.Request) (st dsrflow.RequestStats, ok bool) {
	q, err := s.statsQuery(r)
	if err == nil {
		st, err = s.svc().RequestStats(r.Context(), q)
	}
	if err != nil {
		s.renderFailure(w, r, err)
		return st, false
	}
	return st, true
}

func (s *server) handleConsoleStats() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := s.requestStats(w, r)
		if !ok {
			return
		}
		page := statsPage{S: st, Total: newStatsLine(st.Total), Periods: dsrflow.StatsPeriods,
			CSV: statsCSVHref(dsrflow.StatsQuery{Year: st.Year, Period: st.Period})}
		page.Charts = []chart{
			receivedChart("received", "Requests received, by "+st.Period, "Data-subject requests received in each "+st.Period+" of "+strconv.Itoa(st.Year)+".", st.Periods),
			onTimeChart(st),
			receivedChart("types", "Requests received, by type", "Requests received in "+strconv.Itoa(st.Year)+", by the right exercised.", st.ByType),
			receivedChart("residence", "Requests received, by country of residence", "By the subject's country of residence (the handling country where none was recorded).", st.ByResidence),
			refusalChart(st.Refusals),
		}
		page.Tables = []statsTable{
			{ID: "periods", Caption: "By " + st.Period, KeyHeader: capitalize(st.Period), Lines: statsLines(st.Periods)},
			{ID: "types", Caption: "By type of request", KeyHeader: "Type", Lines: statsLines(st.ByType)},
			{ID: "residence", Caption: "By the subject's country of residence", KeyHeader: "Residence", Lines: statsLines(st.ByResidence)},
			{ID: "country", Caption: "By handling country (the entity whose deadlines apply)", KeyHeader: "Handling country", Lines: statsLines(st.ByCountry)},
		}
		s.render(w, r, http.StatusOK, "stats", view{Title: "Request statistics", Nav: "stats", Data: page})
	})
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// handleConsoleStatsCSV answers the statistics of a year as CSV, in the columns of
// `starter report stats --csv`, as a download.
func (s *server) handleConsoleStatsCSV() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := s.requestStats(w, r)
		if !ok {
			return
		}
		var buf bytes.Buffer
		if err := reports.WriteStatsCSV(&buf, st); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="request-statistics-`+strconv.Itoa(st.Year)+`-`+st.Period+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(buf.Bytes())
	})
}
