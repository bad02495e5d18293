package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dsrflow/dsrflow"
)

// ExtendedAction is the audit action of a deadline extended by an agent (the request workflow's).
const ExtendedAction = "deadline_extended"

// RequestStats computes a calendar year's statistics of data-subject requests (dsrflow.RequestStats,
// without Generated) from the request index and the audit log: the year's requests received or
// answered, and its extension and refusal events. Authority requests (type disclosure) and any other
// type that is not a right are left out. q must be valid (dsrflow.StatsQuery.Validate).
func (s *Store) RequestStats(ctx context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error) {
	from := time.Date(q.Year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	var reqs []struct {
		Type       string `db:"type"`
		Status     string `db:"status"`
		Country    string `db:"country"`
		Residence  string `db:"residence"`
		ReceivedAt dbTime `db:"received_at"`
		DueAt      dbTime `db:"due_at"`
		ClosedAt   dbTime `db:"closed_at"`
	}
	if err := s.db.SelectContext(ctx, &reqs, s.rebind(`SELECT type, status, country, residence, received_at, due_at, closed_at
		FROM requests WHERE (received_at >= ? AND received_at < ?) OR (closed_at >= ? AND closed_at < ?)`),
		s.timeArg(from), s.timeArg(to), s.timeArg(from), s.timeArg(to)); err != nil {
		return dsrflow.RequestStats{}, fmt.Errorf("request statistics: requests: %w", err)
	}
	// The events' requests by a left join: an event whose request row is gone has no type and is
	// left out like any other non-right.
	var events []struct {
		Action    string `db:"action"`
		At        dbTime `db:"at"`
		Detail    string `db:"detail"`
		Type      string `db:"type"`
		Country   string `db:"country"`
		Residence string `db:"residence"`
	}
	if err := s.db.SelectContext(ctx, &events, s.rebind(`SELECT a.action, a.at, a.detail,
		COALESCE(r.type, '') AS type, COALESCE(r.country, '') AS country, COALESCE(r.residence, '') AS residence
		FROM audit_events a LEFT JOIN requests r ON r.id = a.request_id
		WHERE a.action IN (?, ?) AND a.at >= ? AND a.at < ?`),
		ExtendedAction, RefusedAction, s.timeArg(from), s.timeArg(to)); err != nil {
		return dsrflow.RequestStats{}, fmt.Errorf("request statistics: events: %w", err)
	}

	b := newStatsBook(q)
	inYear := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	for _, r := range reqs {
		if !dsrflow.RequestType(r.Type).Valid() {
			continue
		}
		rows := b.rows(r.Type, r.Country, r.Residence)
		if inYear(r.ReceivedAt.Time) {
			for _, row := range append(rows, b.period(r.ReceivedAt.Time)) {
				row.Received++
			}
		}
		answered := r.Status == string(dsrflow.StatusCompleted) || r.Status == string(dsrflow.StatusRejected)
		if !r.ClosedAt.Valid || !answered || !inYear(r.ClosedAt.Time) {
			continue
		}
		days := r.ClosedAt.Time.Sub(r.ReceivedAt.Time).Hours() / 24
		onTime := !r.ClosedAt.Time.After(r.DueAt.Time)
		for _, row := range append(rows, b.period(r.ClosedAt.Time)) {
			row.Answered++
			if onTime {
				row.OnTime++
			}
			b.days[row] = append(b.days[row], days)
		}
	}
	for _, e := range events {
		if !dsrflow.RequestType(e.Type).Valid() {
			continue
		}
		rows := append(b.rows(e.Type, e.Country, e.Residence), b.period(e.At.Time))
		for _, row := range rows {
			if e.Action == ExtendedAction {
				row.Extended++
			} else {
				row.Refused++
			}
		}
		if e.Action == RefusedAction {
			var detail map[string]string
			if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
				return dsrflow.RequestStats{}, fmt.Errorf("request statistics: refusal detail: %w", err)
			}
			b.grounds[detail["ground"]]++
		}
	}
	return b.stats(), nil
}

// statsBook gathers the rows of the statistics while the requests and events are counted.
type statsBook struct {
	q                     dsrflow.StatsQuery
	total                 *dsrflow.StatsRow
	periods, types        map[string]*dsrflow.StatsRow
	residences, countries map[string]*dsrflow.StatsRow
	days                  map[*dsrflow.StatsRow][]float64
	grounds               map[string]int
}

func newStatsBook(q dsrflow.StatsQuery) *statsBook {
	b := &statsBook{q: q, total: &dsrflow.StatsRow{Key: "total"}, periods: map[string]*dsrflow.StatsRow{}, types: map[string]*dsrflow.StatsRow{},
		residences: map[string]*dsrflow.StatsRow{}, countries: map[string]*dsrflow.StatsRow{}, days: map[*dsrflow.StatsRow][]float64{}, grounds: map[string]int{}}
	for _, p := range dsrflow.StatsPeriodNames(q.Year, q.Period) {
		b.periods[p] = &dsrflow.StatsRow{Key: p}
	}
	for _, t := range dsrflow.RequestTypes {
		b.types[string(t)] = &dsrflow.StatsRow{Key: string(t)}
	}
	return b
}

func statsRowOf(m map[string]*dsrflow.StatsRow, key string) *dsrflow.StatsRow {
	r, ok := m[key]
	if !ok {
		r = &dsrflow.StatsRow{Key: key}
		m[key] = r
	}
	return r
}

// rows are the total, type, residence and country rows a request counts in; residence falls back to
// the handling country for requests recorded before residence was.
func (b *statsBook) rows(typ, country, residence string) []*dsrflow.StatsRow {
	if residence == "" {
		residence = country
	}
	return []*dsrflow.StatsRow{b.total, statsRowOf(b.types, typ), statsRowOf(b.residences, residence), statsRowOf(b.countries, country)}
}

// period is the row of t's month or quarter (t within the year).
func (b *statsBook) period(t time.Time) *dsrflow.StatsRow {
	return statsRowOf(b.periods, dsrflow.StatsPeriodOf(t, b.q.Period))
}

func (b *statsBook) finish(r *dsrflow.StatsRow) dsrflow.StatsRow {
	out := *r
	if out.Answered > 0 {
		out.OnTimeShare = math.Round(float64(out.OnTime)/float64(out.Answered)*1000) / 1000
	}
	out.MedianDays = math.Round(median(b.days[r])*10) / 10
	return out
}

func (b *statsBook) stats() dsrflow.RequestStats {
	st := dsrflow.RequestStats{Year: b.q.Year, Period: b.q.Period, Total: b.finish(b.total)}
	for _, p := range dsrflow.StatsPeriodNames(b.q.Year, b.q.Period) {
		st.Periods = append(st.Periods, b.finish(b.periods[p]))
	}
	for _, t := range dsrflow.RequestTypes {
		st.ByType = append(st.ByType, b.finish(b.types[string(t)]))
	}
	countries := func(m map[string]*dsrflow.StatsRow) []dsrflow.StatsRow {
		out := []dsrflow.StatsRow{}
		for _, r := range m {
			out = append(out, b.finish(r))
		}
		slices.SortFunc(out, func(x, y dsrflow.StatsRow) int {
			return cmp.Or(cmp.Compare(y.Received, x.Received), cmp.Compare(y.Answered, x.Answered), cmp.Compare(x.Key, y.Key))
		})
		return out
	}
	st.ByResidence, st.ByCountry = countries(b.residences), countries(b.countries)
	for _, g := range dsrflow.RefusalGrounds {
		st.Refusals = append(st.Refusals, dsrflow.RefusalCount{Ground: string(g), Count: b.grounds[string(g)]})
	}
	return st
}

// median is the middle of v, or the mean of the two middle values; 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
