package web

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Dashboard is GET /api/v1/dashboard: the state of the request book, with no personal data.
type Dashboard struct {
	OpenByStatus []StatusCount    `json:"open_by_status"`
	DueThisWeek  int              `json:"due_this_week"`
	Overdue      int              `json:"overdue"`
	Months       []MonthStat      `json:"months"`
	Connectors   []ConnectorStat  `json:"connectors"`
	Generated    time.Time        `json:"generated"`
	Window       map[string]int64 `json:"window_days"`

	// Refusals counts the requests refused by a reviewer or the DPO, by ground, every ground listed.
	Refusals []RefusalCount `json:"refusals"`
}

// RefusalCount is the number of requests refused on one ground (dsrflow.RefusalGround).
type RefusalCount struct {
	Ground string `json:"ground"`
	Count  int    `json:"count"`
}

// StatusCount is the number of open requests in one status.
type StatusCount struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
}

// MonthStat is one month of answers: requests completed or rejected in it, how many by their due date,
// and the median days from receipt to answer.
type MonthStat struct {
	Month      string  `json:"month"`
	Answered   int     `json:"answered"`
	OnTime     int     `json:"on_time"`
	MedianDays float64 `json:"median_days"`
}

// ConnectorStat is one connector's jobs of the last 30 days.
type ConnectorStat struct {
	Connector string `json:"connector"`
	Jobs      int    `json:"jobs"`
	Failed    int    `json:"failed"`
}

const (
	dashboardMonths        = 12
	dashboardConnectorDays = 30
)

func (s *server) handleDashboardAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.dashboard(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, d)
	})
}

func (s *server) dashboard(r *http.Request) (Dashboard, error) {
	ctx := r.Context()
	now := s.now().UTC()
	d := Dashboard{Generated: now, Window: map[string]int64{"months": dashboardMonths * 31, "connectors": dashboardConnectorDays}}
	counts, err := s.Store.CountRequests(ctx)
	if err != nil {
		return d, err
	}
	byStatus := map[string]int{}
	for _, statuses := range counts {
		for st, n := range statuses {
			if !dsrflow.Status(st).Closed() {
				byStatus[st] += n
			}
		}
	}
	for _, st := range allStatuses {
		if n := byStatus[st]; n > 0 {
			d.OpenByStatus = append(d.OpenByStatus, StatusCount{st, n})
		}
	}
	overdue, soon, err := s.Store.CountOpenDue(ctx, now, now.AddDate(0, 0, 7))
	if err != nil {
		return d, err
	}
	d.Overdue, d.DueThisWeek = overdue, soon-overdue

	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(dashboardMonths - 1), 0)
	closed, err := s.Store.ClosedSince(ctx, first)
	if err != nil {
		return d, err
	}
	days := map[string][]float64{}
	months := map[string]*MonthStat{}
	for m := first; !m.After(now); m = m.AddDate(0, 1, 0) {
		key := m.Format("2006-01")
		months[key] = &MonthStat{Month: key}
		d.Months = append(d.Months, MonthStat{Month: key})
	}
	for _, c := range closed {
		if c.Status != string(dsrflow.StatusCompleted) && c.Status != string(dsrflow.StatusRejected) {
			continue // canceled and lapsed requests were never answered
		}
		m := months[c.ClosedAt.UTC().Format("2006-01")]
		if m == nil {
			continue
		}
		m.Answered++
		if !c.ClosedAt.After(c.DueAt) {
			m.OnTime++
		}
		days[m.Month] = append(days[m.Month], c.ClosedAt.Sub(c.ReceivedAt).Hours()/24)
	}
	for i := range d.Months {
		m := months[d.Months[i].Month]
		m.MedianDays = median(days[m.Month])
		d.Months[i] = *m
	}

	jobs, err := s.Store.JobStats(ctx, now.AddDate(0, 0, -dashboardConnectorDays))
	if err != nil {
		return d, err
	}
	for connector, statuses := range jobs {
		c := ConnectorStat{Connector: connector}
		for st, n := range statuses {
			c.Jobs += n
			if st == "failed" {
				c.Failed += n
			}
		}
		d.Connectors = append(d.Connectors, c)
	}
	sort.Slice(d.Connectors, func(i, j int) bool { return d.Connectors[i].Connector < d.Connectors[j].Connector })
	if d.Refusals, err = s.refusalCounts(r); err != nil {
		return d, err
	}
	return d, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// chart is a horizontal bar chart drawn as SVG on the server: readable without JavaScript, and each bar
// says its value in words too.
type chart struct {
	ID, Title, Caption string
	Width, Height      int
	Bars               []chartBar
}

type chartBar struct {
	Label, Text          string
	Y, Width, TextX      int
	Fill                 string
	LabelY, TextBaseline int
}

const (
	chartLabelW = 150
	chartBarMax = 320
	chartRow    = 26
)

func newChart(id, title, caption string) chart {
	return chart{ID: id, Title: title, Caption: caption, Width: chartLabelW + chartBarMax + 330}
}

// add draws a bar of value out of max.
func (c *chart) add(label string, value, max float64, text, fill string) {
	w := 0
	if max > 0 {
		w = int(value / max * chartBarMax)
	}
	if value > 0 && w < 2 {
		w = 2
	}
	y := len(c.Bars)*chartRow + 4
	c.Bars = append(c.Bars, chartBar{Label: label, Text: text, Y: y, Width: w, TextX: chartLabelW + w + 8, Fill: fill, LabelY: y + 14, TextBaseline: y + 14})
	c.Height = len(c.Bars)*chartRow + 8
}

type dashboardPage struct {
	D      Dashboard
	Charts []chart
	Open   int
}

func (s *server) handleDashboard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read from the store here, as the API's route does; both admit every role.
		d, err := s.dashboard(r)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		page := dashboardPage{D: d}
		status := newChart("open", "Open requests by status", "How many requests wait in each step.")
		max := 0
		for _, c := range d.OpenByStatus {
			page.Open += c.Count
			max = maxInt(max, c.Count)
		}
		for _, c := range d.OpenByStatus {
			status.add(c.Status, float64(c.Count), float64(max), fmt.Sprint(c.Count), "#1f5fbf")
		}
		months := newChart("months", "Answered on time, by month", "Share of requests answered by their due date; median days from receipt to answer.")
		for _, m := range d.Months {
			if m.Answered == 0 {
				months.add(m.Month, 0, 1, "no answers", "#1e7a3c")
				continue
			}
			rate := float64(m.OnTime) / float64(m.Answered)
			fill := "#1e7a3c"
			if rate < 0.95 {
				fill = "#9a6700"
			}
			if rate < 0.8 {
				fill = "#b3261e"
			}
			months.add(m.Month, rate, 1, fmt.Sprintf("%.0f%% of %d on time · median %.1f days", rate*100, m.Answered, m.MedianDays), fill)
		}
		conns := newChart("connectors", "Connector failures, last 30 days", "Share of each connector's jobs that failed.")
		for _, c := range d.Connectors {
			rate := 0.0
			if c.Jobs > 0 {
				rate = float64(c.Failed) / float64(c.Jobs)
			}
			fill := "#1e7a3c"
			if c.Failed > 0 {
				fill = "#b3261e"
			}
			conns.add(c.Connector, rate, 1, fmt.Sprintf("%d of %d failed (%.0f%%)", c.Failed, c.Jobs, rate*100), fill)
		}
		page.Charts = []chart{status, months, conns, refusalChart(d.Refusals)}
		s.render(w, r, http.StatusOK, "dashboard", view{Title: "Dashboard", Nav: "dashboard", Data: page})
	})
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
