package service

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The dashboard's windows: answers of the last twelve months, connector jobs of the last 30 days.
const (
	DashboardMonths        = 12
	DashboardConnectorDays = 30
)

// outboxLimit bounds an outbox read: the latest messages, for an admin looking at what went out.
const outboxLimit = 1000

// Dashboard implements dsrflow.RequestService: the state of the request book, with no personal data,
// for every role.
func (s *Service) Dashboard(ctx context.Context) (dsrflow.Dashboard, error) {
	if _, err := caller(ctx, everyone...); err != nil {
		return dsrflow.Dashboard{}, err
	}
	now := s.now().UTC()
	d := dsrflow.Dashboard{Generated: now, Window: map[string]int64{"months": DashboardMonths * 31, "connectors": DashboardConnectorDays}}
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
	for _, st := range dsrflow.Statuses {
		if n := byStatus[string(st)]; n > 0 {
			d.OpenByStatus = append(d.OpenByStatus, dsrflow.StatusCount{Status: string(st), Count: n})
		}
	}
	overdue, soon, err := s.Store.CountOpenDue(ctx, now, now.AddDate(0, 0, 7))
	if err != nil {
		return d, err
	}
	d.Overdue, d.DueThisWeek = overdue, soon-overdue

	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(DashboardMonths - 1), 0)
	closed, err := s.Store.ClosedSince(ctx, first)
	if err != nil {
		return d, err
	}
	d.Months = monthStats(first, now, closed)

	jobs, err := s.Store.JobStats(ctx, now.AddDate(0, 0, -DashboardConnectorDays))
	if err != nil {
		return d, err
	}
	for connector, statuses := range jobs {
		c := dsrflow.ConnectorStat{Connector: connector}
		for st, n := range statuses {
			c.Jobs += n
			if st == "failed" {
				c.Failed += n
			}
		}
		d.Connectors = append(d.Connectors, c)
	}
	sort.Slice(d.Connectors, func(i, j int) bool { return d.Connectors[i].Connector < d.Connectors[j].Connector })

	byGround, err := s.Store.CountRefusals(ctx)
	if err != nil {
		return d, err
	}
	d.Refusals = make([]dsrflow.RefusalCount, len(dsrflow.RefusalGrounds))
	for i, g := range dsrflow.RefusalGrounds {
		d.Refusals[i] = dsrflow.RefusalCount{Ground: string(g), Count: byGround[string(g)]}
	}
	return d, nil
}

// monthStats are the answers per month from first's month to now's: requests completed or rejected
// (canceled and lapsed ones were never answered), how many by their due date, the median days taken.
func monthStats(first, now time.Time, closed []store.ClosedRequest) []dsrflow.MonthStat {
	var out []dsrflow.MonthStat
	index := map[string]int{}
	for m := first; !m.After(now); m = m.AddDate(0, 1, 0) {
		key := m.Format("2006-01")
		index[key] = len(out)
		out = append(out, dsrflow.MonthStat{Month: key})
	}
	days := make([][]float64, len(out))
	for _, c := range closed {
		if c.Status != string(dsrflow.StatusCompleted) && c.Status != string(dsrflow.StatusRejected) {
			continue
		}
		i, ok := index[c.ClosedAt.UTC().Format("2006-01")]
		if !ok {
			continue
		}
		out[i].Answered++
		if !c.ClosedAt.After(c.DueAt) {
			out[i].OnTime++
		}
		days[i] = append(days[i], c.ClosedAt.Sub(c.ReceivedAt).Hours()/24)
	}
	for i := range out {
		out[i].MedianDays = median(days[i])
	}
	return out
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

// Outbox implements dsrflow.RequestService: the latest messages with their text (personal data), for
// admins only.
func (s *Service) Outbox(ctx context.Context, q dsrflow.OutboxQuery) ([]dsrflow.OutboxMessage, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{To: q.To, RequestID: q.RequestID, Limit: outboxLimit})
	if err != nil {
		return nil, err
	}
	out := make([]dsrflow.OutboxMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, dsrflow.OutboxMessage{ID: m.ID, RequestID: m.RequestID, Kind: m.Kind, To: m.To, Subject: m.Subject,
			Body: m.Body, Created: m.CreatedAt, Sent: m.SentAt})
	}
	return out, nil
}

// TransparencyReport implements dsrflow.RequestService: one calendar year of authority requests by the
// authority's country, and the routed items to date per customer (named from customers.yaml), for the
// DPO.
func (s *Service) TransparencyReport(ctx context.Context, year int) (dsrflow.TransparencyReport, error) {
	if _, err := caller(ctx, dpoOnly...); err != nil {
		return dsrflow.TransparencyReport{}, err
	}
	if year < 1970 || year > 9999 {
		return dsrflow.TransparencyReport{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "year must be a year, like 2026", Fields: map[string]string{"year": "must be a year, like 2026"}}
	}
	rows, err := s.Store.TransparencyReport(ctx, year)
	if err != nil {
		return dsrflow.TransparencyReport{}, err
	}
	counts, err := s.Store.CountRouted(ctx)
	if err != nil {
		return dsrflow.TransparencyReport{}, err
	}
	rep := dsrflow.TransparencyReport{Year: year, Authorities: rows, Routed: []dsrflow.RoutedCustomerCount{}}
	if rep.Authorities == nil {
		rep.Authorities = []dsrflow.TransparencyRow{}
	}
	for _, c := range counts { // ordered by customer
		if n := len(rep.Routed); n == 0 || rep.Routed[n-1].Customer != c.Customer {
			rep.Routed = append(rep.Routed, dsrflow.RoutedCustomerCount{Customer: c.Customer, LegalName: s.legalName(c.Customer)})
		}
		row := &rep.Routed[len(rep.Routed)-1]
		row.Total += c.Count
		switch c.State {
		case dsrflow.RoutedExecuted:
			row.Executed += c.Count
		case dsrflow.RoutedDeclined:
			row.Declined += c.Count
		case dsrflow.RoutedHandled:
			row.Handled += c.Count
		case dsrflow.RoutedEscalated:
			row.Escalated += c.Count
			row.Open += c.Count
		default: // notified, instructed
			row.Open += c.Count
		}
	}
	return rep, nil
}

// RequestStats implements dsrflow.RequestService: a calendar year's request statistics, counted by the
// store, for the DPO.
func (s *Service) RequestStats(ctx context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error) {
	if _, err := caller(ctx, dpoOnly...); err != nil {
		return dsrflow.RequestStats{}, err
	}
	if err := q.Validate(); err != nil {
		return dsrflow.RequestStats{}, err
	}
	st, err := s.Store.RequestStats(ctx, q)
	if err != nil {
		return dsrflow.RequestStats{}, err
	}
	st.Generated = s.now().UTC()
	return st, nil
}

// Suppression implements dsrflow.RequestService: the suppression list's entry for an address's hash,
// ENOTFOUND when the address may be mailed, EINVALID for a value that is not such a hash.
func (s *Service) Suppression(ctx context.Context, hash string) (dsrflow.SuppressionEntry, error) {
	if _, err := caller(ctx, everyone...); err != nil {
		return dsrflow.SuppressionEntry{}, err
	}
	e, err := s.Store.GetSuppression(ctx, hash)
	if err != nil {
		return dsrflow.SuppressionEntry{}, err
	}
	return dsrflow.SuppressionEntry{Reason: e.Reason}, nil
}
