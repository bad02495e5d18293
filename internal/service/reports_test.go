package service_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

// The dashboard counts what a DPO relies on: open requests by status (closed ones never), overdue and
// due this week among the open ones only, answers per month with the on-time share (canceled and lapsed
// requests were never answered), and every refusal ground, even at zero.
func TestDashboardCountsTheRequestBook(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	put := func(id string, status dsrflow.Status, received, due time.Time, closed *time.Time) {
		t.Helper()
		if err := st.PutRequest(ctx, store.Request{ID: id, Type: dsrflow.Access, Status: status, Country: "NO", Jurisdiction: "gdpr",
			ReceivedAt: received, DueAt: due, ClosedAt: closed}); err != nil {
			t.Fatal(err)
		}
	}
	at := func(t time.Time) *time.Time { return &t }
	put("dsr_overdue", dsrflow.StatusFulfilling, now.Add(-40*day), now.Add(-2*day), nil)
	put("dsr_soon", dsrflow.StatusVerifying, now.Add(-25*day), now.Add(3*day), nil)
	put("dsr_later", dsrflow.StatusVerifying, now.Add(-2*day), now.Add(28*day), nil)
	// Closed in November: one on time after 10 days, one late after 40; a lapsed one past its date.
	nov := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	put("dsr_ontime", dsrflow.StatusCompleted, nov.Add(-10*day), nov.Add(5*day), at(nov))
	put("dsr_late", dsrflow.StatusRejected, nov.Add(-40*day), nov.Add(-10*day), at(nov))
	put("dsr_lapsed", dsrflow.StatusLapsed, nov.Add(-60*day), nov.Add(-30*day), at(nov))

	s := &service.Service{Store: st, Now: func() time.Time { return now }}
	d, err := s.Dashboard(as(dsrflow.RoleReviewer))
	if err != nil {
		t.Fatal(err)
	}
	open := map[string]int{}
	for _, c := range d.OpenByStatus {
		open[c.Status] = c.Count
	}
	if len(open) != 2 || open["verifying"] != 2 || open["fulfilling"] != 1 {
		t.Errorf("open by status %v, want verifying 2, fulfilling 1 and no closed status", d.OpenByStatus)
	}
	if d.Overdue != 1 || d.DueThisWeek != 1 {
		t.Errorf("overdue %d, due this week %d; want 1 and 1", d.Overdue, d.DueThisWeek)
	}
	if len(d.Months) != service.DashboardMonths || d.Months[len(d.Months)-1].Month != "2026-12" {
		t.Fatalf("months %v, want twelve ending 2026-12", d.Months)
	}
	if m := d.Months[len(d.Months)-2]; m.Month != "2026-11" || m.Answered != 2 || m.OnTime != 1 || m.MedianDays != 25 {
		t.Errorf("November %+v, want 2 answered, 1 on time, median 25 days", m)
	}
	if len(d.Refusals) != len(dsrflow.RefusalGrounds) {
		t.Errorf("refusals %v, want every ground listed", d.Refusals)
	}
}

// The request statistics refuse a bad year or period naming the field, before the store is read, and
// answer the store's figures stamped with the time they were made, for the DPO and admins.
func TestRequestStatsChecksItsQuery(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	received, closed := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 4, 21, 0, 0, 0, time.UTC)
	if err := st.PutRequest(ctx, store.Request{ID: "dsr_1", Type: dsrflow.Access, Status: dsrflow.StatusCompleted, Country: "NO",
		ReceivedAt: received, DueAt: received.AddDate(0, 1, 0), ClosedAt: &closed}); err != nil {
		t.Fatal(err)
	}
	s := &service.Service{Store: st, Now: func() time.Time { return now }}
	for q, field := range map[dsrflow.StatsQuery]string{{Year: 0}: "year", {Year: 10000}: "year", {Year: 2026, Period: "week"}: "period"} {
		_, err := s.RequestStats(as(dsrflow.RoleDPO), q)
		var e *dsrflow.Error
		if dsrflow.ErrorCode(err) != dsrflow.EINVALID || !errors.As(err, &e) || e.Fields[field] == "" {
			t.Errorf("%+v: %v, want EINVALID naming %s", q, err, field)
		}
	}
	for _, role := range []string{dsrflow.RoleDPO, dsrflow.RoleAdmin} {
		got, err := s.RequestStats(as(role), dsrflow.StatsQuery{Year: 2026})
		if err != nil {
			t.Fatal(err)
		}
		if got.Period != dsrflow.StatsMonth || !got.Generated.Equal(now) || len(got.Periods) != 12 {
			t.Errorf("%s: period %q, generated %v, %d periods", role, got.Period, got.Generated, len(got.Periods))
		}
		if want := (dsrflow.StatsRow{Key: "total", Received: 1, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 3.5}); got.Total != want {
			t.Errorf("%s: total %+v, want %+v", role, got.Total, want)
		}
	}
}
