package web

import (
	"fmt"
	"net/http"

	"github.com/dsrflow/dsrflow"
)

func (s *server) handleDashboardAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.svc().Dashboard(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, d)
	})
}

// chart is a horizontal bar chart drawn as SVG on the server: readable without JavaScript, and each bar
// says its value in words too.
type chart struct {
	ID, Title, Caption string
	Width, Height      int
	Bars               []chartBar
}

type chartBar struct {
	Label, Text      string
	LabelY, Y, Width int
	Fill             string
}

// A chart is drawn for a phone first (issue 17): each bar is two rows, its label and value in words
// above, the bar below, in a picture 340 units wide, which a 390 px phone shows at about its own size
// (13 px text), a 320 px one at about 11 px, and a wide screen at most 26rem wide (the stylesheet).
const (
	chartW      = 340
	chartBarMax = chartW
	chartRow    = 40
)

func newChart(id, title, caption string) chart {
	return chart{ID: id, Title: title, Caption: caption, Width: chartW}
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
	y := len(c.Bars) * chartRow
	c.Bars = append(c.Bars, chartBar{Label: label, Text: text, LabelY: y + 14, Y: y + 20, Width: w, Fill: fill})
	c.Height = len(c.Bars)*chartRow + 4
}

type dashboardPage struct {
	D      dsrflow.Dashboard
	Charts []chart
	Open   int
}

func (s *server) handleDashboard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, err := s.svc().Dashboard(r.Context())
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
