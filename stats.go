package dsrflow

import (
	"fmt"
	"time"
)

// Request statistics for the DPO and the board (issue 17): a calendar year of data-subject requests
// (authority requests are the transparency report's), counted in UTC. Each figure is counted in the
// period of its event: a request received in the period, an extension or a refusal decided in it, an
// answer sent in it.

// Periods of the statistics.
const (
	StatsMonth   = "month"
	StatsQuarter = "quarter"
)

// StatsPeriods lists the periods, the default first.
var StatsPeriods = []string{StatsMonth, StatsQuarter}

// StatsQuery selects the statistics: a calendar year, by month or quarter (empty: StatsMonth).
type StatsQuery struct {
	Year   int
	Period string
}

// Validate checks the query and fills the default period: EINVALID naming the field.
func (q *StatsQuery) Validate() error {
	if q.Year < 1970 || q.Year > 9999 {
		return &Error{Code: EINVALID, Message: "year must be a year, like 2026", Fields: map[string]string{"year": "must be a year, like 2026"}}
	}
	if q.Period == "" {
		q.Period = StatsMonth
	}
	if q.Period != StatsMonth && q.Period != StatsQuarter {
		return &Error{Code: EINVALID, Message: "period must be month or quarter", Fields: map[string]string{"period": "must be month or quarter"}}
	}
	return nil
}

// StatsPeriodOf names the period of t (UTC): "2026-03" by month, "2026-Q1" by quarter.
func StatsPeriodOf(t time.Time, period string) string {
	t = t.UTC()
	if period == StatsQuarter {
		return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
	}
	return t.Format("2006-01")
}

// StatsPeriodNames are the periods of a year, in order.
func StatsPeriodNames(year int, period string) []string {
	var out []string
	step := 1
	if period == StatsQuarter {
		step = 3
	}
	for m := 1; m <= 12; m += step {
		out = append(out, StatsPeriodOf(time.Date(year, time.Month(m), 1, 0, 0, 0, 0, time.UTC), period))
	}
	return out
}

// RequestStats are a year's request statistics (GET /api/v1/reports/stats, /console/stats): the totals,
// then the same figures per period, per request type, per the subject's country of residence and per
// handling country, and the refusals by ground.
type RequestStats struct {
	Year      int       `json:"year"`
	Period    string    `json:"period"`
	Generated time.Time `json:"generated"`
	Total     StatsRow  `json:"total"`
	// Periods lists every month or quarter of the year, empty ones too.
	Periods []StatsRow `json:"periods"`
	// ByType lists every request type, in the order of Rights.
	ByType []StatsRow `json:"by_type"`
	// ByResidence is by the subject's country of residence (the handling country for requests recorded
	// before residence was asked); ByCountry by the handling entity's country (deadlines, working days).
	// Both list the countries that have a figure, most requests received first.
	ByResidence []StatsRow `json:"by_residence"`
	ByCountry   []StatsRow `json:"by_country"`
	// Refusals counts the year's refusals by ground, every ground listed.
	Refusals []RefusalCount `json:"refusals"`
}

// StatsRow is one line of the statistics. Received: requests received. Extended: deadlines extended.
// Refused: requests refused by a reviewer or the DPO (on a RefusalGround). Answered: requests
// completed or rejected (canceled and lapsed ones were never answered); OnTime: of these, answered by
// the due date in force (the extended one after an extension); OnTimeShare: OnTime / Answered (0 when
// none was answered); MedianDays: the median days from receipt to answer.
type StatsRow struct {
	Key         string  `json:"key"`
	Received    int     `json:"received"`
	Extended    int     `json:"extended"`
	Refused     int     `json:"refused"`
	Answered    int     `json:"answered"`
	OnTime      int     `json:"on_time"`
	OnTimeShare float64 `json:"on_time_share"`
	MedianDays  float64 `json:"median_days"`
}
