package reports

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/dsrflow/dsrflow"
)

// StatsColumns are the CSV header of the request statistics. Each line is a row of one table: total
// (key: the year), month or quarter (key: 2026-03, 2026-Q1), type, residence (the subject's country),
// country (the handling country), and refusal_ground (key: the ground; only refused is filled).
var StatsColumns = []string{"table", "key", "received", "extended", "refused", "answered", "on_time", "on_time_share", "median_days"}

// StatsTables name the CSV's tables, and the console's.
const (
	StatsTableTotal     = "total"
	StatsTableType      = "type"
	StatsTableResidence = "residence"
	StatsTableCountry   = "country"
	StatsTableRefusal   = "refusal_ground"
)

// WriteStatsCSV writes the statistics as CSV (StatsColumns): the year's total, each period, each request
// type, each country of residence, each handling country, each refusal ground. on_time_share and
// median_days are empty where nothing was answered: there is no share of nothing.
func WriteStatsCSV(out io.Writer, st dsrflow.RequestStats) error {
	w := csv.NewWriter(out)
	if err := w.Write(StatsColumns); err != nil {
		return err
	}
	line := func(table string, r dsrflow.StatsRow) error {
		share, median := "", ""
		if r.Answered > 0 {
			share, median = strconv.FormatFloat(r.OnTimeShare, 'f', -1, 64), strconv.FormatFloat(r.MedianDays, 'f', -1, 64)
		}
		return w.Write([]string{table, r.Key, strconv.Itoa(r.Received), strconv.Itoa(r.Extended), strconv.Itoa(r.Refused),
			strconv.Itoa(r.Answered), strconv.Itoa(r.OnTime), share, median})
	}
	total := st.Total
	total.Key = strconv.Itoa(st.Year)
	if err := line(StatsTableTotal, total); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		rows []dsrflow.StatsRow
	}{{st.Period, st.Periods}, {StatsTableType, st.ByType}, {StatsTableResidence, st.ByResidence}, {StatsTableCountry, st.ByCountry}} {
		for _, r := range t.rows {
			if err := line(t.name, r); err != nil {
				return err
			}
		}
	}
	for _, g := range st.Refusals {
		if err := w.Write([]string{StatsTableRefusal, g.Ground, "", "", strconv.Itoa(g.Count), "", "", "", ""}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
