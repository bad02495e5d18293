package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testRequestStats: a year's statistics count each request where its events fall (received, answered,
// extended, refused) by quarter and month, type, residence and handling country; on time is by the
// due date in force; the median is of the days from receipt to answer; authority requests, other
// years and events of unknown requests are left out.
func testRequestStats(t *testing.T, s *store.Store) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC) }
	put := func(id, typ, status, country, residence string, received, due time.Time, extended bool, closed *time.Time) {
		t.Helper()
		r := store.Request{ID: id, Type: dsrflow.RequestType(typ), Status: dsrflow.Status(status), Country: country, Residence: residence,
			ReceivedAt: received, DueAt: due, ClosedAt: closed, UpdatedAt: received}
		if extended {
			r.ExtendedDueAt = &due
		}
		must(t, s.PutRequest(ctx, r))
	}
	event := func(id, action string, at time.Time, detail map[string]string) {
		t.Helper()
		_, err := s.AppendAudit(ctx, store.AuditEvent{At: at, RequestID: id, Action: action, Actor: "token:dpo", Detail: detail})
		must(t, err)
	}
	// Answered in 10, 36, 68, 4 and 16 days; the first at the very instant it was due (on time), the
	// second late, the third on time by its extended date.
	put("req_1", "access", "completed", "NO", "SE", day(2026, 1, 10), day(2026, 1, 20), false, ptr(day(2026, 1, 20)))
	put("req_2", "access", "completed", "NO", "", day(2026, 1, 15), day(2026, 2, 16), false, ptr(day(2026, 2, 20)))
	put("req_3", "erasure", "completed", "SE", "SE", day(2026, 2, 1), day(2026, 5, 1), true, ptr(day(2026, 4, 10)))
	event("req_3", store.ExtendedAction, day(2026, 2, 20), map[string]string{"due": "2026-05-01"})
	put("req_4", "objection", "rejected", "NO", "DK", day(2026, 3, 5), day(2026, 4, 7), false, ptr(day(2026, 3, 9)))
	event("req_4", store.RefusedAction, day(2026, 3, 9), map[string]string{"ground": "manifestly_excessive", "status": "in_review"})
	put("req_5", "erasure", "verifying", "NO", "NO", day(2026, 4, 2), day(2026, 5, 4), false, nil)
	put("req_6", "access", "completed", "NO", "", day(2025, 12, 20), day(2026, 1, 20), false, ptr(day(2026, 1, 5)))
	put("req_7", "access", "canceled", "NO", "", day(2026, 5, 1), day(2026, 6, 1), false, ptr(day(2026, 5, 2)))
	put("req_10", "access", "received", "NO", "", time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), day(2027, 2, 1), false, nil)
	// Left out: an authority request, another year's request and events, a refusal of a request not in
	// the index.
	put("dsc_8", "disclosure", "rejected", "NO", "", day(2026, 2, 2), day(2026, 3, 2), false, ptr(day(2026, 2, 3)))
	put("req_9", "access", "completed", "NO", "", day(2025, 1, 1), day(2025, 2, 3), false, ptr(day(2025, 2, 1)))
	event("req_9", store.ExtendedAction, day(2025, 1, 20), nil)
	event("req_gone", store.RefusedAction, day(2026, 6, 1), map[string]string{"ground": "other"})
	put("req_11", "access", "received", "NO", "", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), day(2027, 2, 1), false, nil)

	got, err := s.RequestStats(ctx, dsrflow.StatsQuery{Year: 2026, Period: dsrflow.StatsQuarter})
	must(t, err)
	want := dsrflow.RequestStats{Year: 2026, Period: "quarter",
		Total: dsrflow.StatsRow{Key: "total", Received: 7, Extended: 1, Refused: 1, Answered: 5, OnTime: 4, OnTimeShare: 0.8, MedianDays: 16},
		Periods: []dsrflow.StatsRow{
			{Key: "2026-Q1", Received: 4, Extended: 1, Refused: 1, Answered: 4, OnTime: 3, OnTimeShare: 0.75, MedianDays: 13},
			{Key: "2026-Q2", Received: 2, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 68},
			{Key: "2026-Q3"},
			{Key: "2026-Q4", Received: 1},
		},
		ByResidence: []dsrflow.StatsRow{
			{Key: "NO", Received: 4, Answered: 2, OnTime: 1, OnTimeShare: 0.5, MedianDays: 26},
			{Key: "SE", Received: 2, Extended: 1, Answered: 2, OnTime: 2, OnTimeShare: 1, MedianDays: 39},
			{Key: "DK", Received: 1, Refused: 1, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 4},
		},
		ByCountry: []dsrflow.StatsRow{
			{Key: "NO", Received: 6, Refused: 1, Answered: 4, OnTime: 3, OnTimeShare: 0.75, MedianDays: 13},
			{Key: "SE", Received: 1, Extended: 1, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 68},
		},
		Refusals: []dsrflow.RefusalCount{{Ground: "manifestly_unfounded"}, {Ground: "manifestly_excessive", Count: 1}, {Ground: "identity_not_confirmed"}, {Ground: "other"}},
	}
	for _, typ := range dsrflow.RequestTypes {
		r := dsrflow.StatsRow{Key: string(typ)}
		switch typ {
		case dsrflow.Access:
			r = dsrflow.StatsRow{Key: "access", Received: 4, Answered: 3, OnTime: 2, OnTimeShare: 0.667, MedianDays: 16}
		case dsrflow.Erasure:
			r = dsrflow.StatsRow{Key: "erasure", Received: 2, Extended: 1, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 68}
		case dsrflow.Objection:
			r = dsrflow.StatsRow{Key: "objection", Received: 1, Refused: 1, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 4}
		}
		want.ByType = append(want.ByType, r)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statistics by quarter:\n got %+v\nwant %+v", got, want)
	}

	got, err = s.RequestStats(ctx, dsrflow.StatsQuery{Year: 2026, Period: dsrflow.StatsMonth})
	must(t, err)
	if len(got.Periods) != 12 || got.Total != want.Total {
		t.Fatalf("by month: %d periods, total %+v", len(got.Periods), got.Total)
	}
	months := map[string]dsrflow.StatsRow{
		"2026-01": {Key: "2026-01", Received: 2, Answered: 2, OnTime: 2, OnTimeShare: 1, MedianDays: 13},
		"2026-02": {Key: "2026-02", Received: 1, Extended: 1, Answered: 1, MedianDays: 36},
		"2026-03": {Key: "2026-03", Received: 1, Refused: 1, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 4},
		"2026-12": {Key: "2026-12", Received: 1},
	}
	for _, p := range got.Periods {
		w, ok := months[p.Key]
		if !ok {
			w = dsrflow.StatsRow{Key: p.Key}
			switch p.Key {
			case "2026-04":
				w = dsrflow.StatsRow{Key: p.Key, Received: 1, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 68}
			case "2026-05":
				w = dsrflow.StatsRow{Key: p.Key, Received: 1}
			}
		}
		if p != w {
			t.Errorf("month %s: %+v, want %+v", p.Key, p, w)
		}
	}

	empty, err := s.RequestStats(ctx, dsrflow.StatsQuery{Year: 2024, Period: dsrflow.StatsMonth})
	must(t, err)
	if empty.Total != (dsrflow.StatsRow{Key: "total"}) || len(empty.ByResidence) != 0 || empty.ByResidence == nil || len(empty.ByType) != len(dsrflow.RequestTypes) {
		t.Errorf("a year without requests: %+v", empty)
	}
}
