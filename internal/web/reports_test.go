package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/web"
)

// The report routes (dashboard, outbox, transparency report, suppression list) call the service as the
// caller and answer what it returns; the routes' own roles hold before the service is reached.

var admin = web.Principal{ID: "token:ada", Role: web.RoleAdmin}

func newReportsAPI(t *testing.T) *apiFixture {
	f := newAPI(t)
	f.h = web.NewServer(web.Deps{Service: f.svc, Auth: tokens{"agent": agent, "reviewer": reviewer, "dpo": dpo, "admin": admin}})
	return f
}

func TestDashboardRoute(t *testing.T) {
	f := newReportsAPI(t)
	var as web.Principal
	f.svc.DashboardFn = func(ctx context.Context) (dsrflow.Dashboard, error) {
		as = caller(t, ctx)
		return dsrflow.Dashboard{Overdue: 3, OpenByStatus: []dsrflow.StatusCount{{Status: "verifying", Count: 5}},
			Refusals: []dsrflow.RefusalCount{{Ground: "manifestly_unfounded", Count: 2}}}, nil
	}
	for _, tok := range []string{"agent", "reviewer", "dpo"} {
		status, body, raw := f.call(tok, "GET", "/api/v1/dashboard", "")
		if status != http.StatusOK || body["overdue"] != float64(3) {
			t.Fatalf("dashboard as %s: %d %s", tok, status, raw)
		}
		if open := body["open_by_status"].([]any); len(open) != 1 || open[0].(map[string]any)["count"] != float64(5) {
			t.Errorf("dashboard as %s: open_by_status %v", tok, body["open_by_status"])
		}
		if as.Role != tok {
			t.Errorf("dashboard called the service as %+v, want role %s", as, tok)
		}
	}
}

func TestOutboxRouteIsForAdmins(t *testing.T) {
	f := newReportsAPI(t)
	var got dsrflow.OutboxQuery
	called := false
	f.svc.OutboxFn = func(ctx context.Context, q dsrflow.OutboxQuery) ([]dsrflow.OutboxMessage, error) {
		called, got = true, q
		return []dsrflow.OutboxMessage{{ID: "m1", RequestID: "dsr_1", Kind: "code", To: "jane@example.com", Subject: "Your code", Body: "123456", Created: time.Unix(0, 0).UTC()}}, nil
	}
	for _, tok := range []string{"agent", "reviewer", "dpo"} {
		if status, _, raw := f.call(tok, "GET", "/api/v1/outbox", ""); status != http.StatusForbidden || called {
			t.Errorf("outbox as %s: %d %s (service called: %v), want 403 before the service", tok, status, raw, called)
		}
	}
	status, _, raw := f.call("admin", "GET", "/api/v1/outbox?to=jane@example.com&request=dsr_1", "")
	if status != http.StatusOK || !called {
		t.Fatalf("outbox as admin: %d %s", status, raw)
	}
	if got != (dsrflow.OutboxQuery{To: "jane@example.com", RequestID: "dsr_1"}) {
		t.Errorf("outbox query %+v", got)
	}
	if want := `"subject":"Your code"`; !strings.Contains(raw, want) {
		t.Errorf("outbox answer %s lacks %s", raw, want)
	}
}

func TestTransparencyReportRoute(t *testing.T) {
	f := newReportsAPI(t)
	var year int
	f.svc.TransparencyReportFn = func(ctx context.Context, y int) (dsrflow.TransparencyReport, error) {
		year = y
		if y == 1900 {
			return dsrflow.TransparencyReport{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "year must be a year, like 2026", Fields: map[string]string{"year": "must be a year, like 2026"}}
		}
		return dsrflow.TransparencyReport{Year: y, Authorities: []dsrflow.TransparencyRow{{Country: "NO", Received: 4, Complied: 1, Subjects: 2, Categories: []string{"contact"}}},
			Routed: []dsrflow.RoutedCustomerCount{{Customer: "acme", LegalName: "Acme Industri AS", Total: 3, Open: 1, Escalated: 1, Executed: 2}}}, nil
	}
	if status, _, raw := f.call("agent", "GET", "/api/v1/reports/transparency?year=2026", ""); status != http.StatusForbidden || year != 0 {
		t.Errorf("report as agent: %d %s, want 403 before the service", status, raw)
	}
	status, _, raw := f.call("dpo", "GET", "/api/v1/reports/transparency?year=2026", "")
	if status != http.StatusOK || year != 2026 || !strings.HasPrefix(strings.TrimSpace(raw), "[") || !strings.Contains(raw, `"received":4`) {
		t.Errorf("report as DPO: %d %s (year %d), want the list of authority rows", status, raw, year)
	}
	// with=routed answers the whole report, with the routed items per customer.
	status, _, raw = f.call("dpo", "GET", "/api/v1/reports/transparency?year=2026&with=routed", "")
	if status != http.StatusOK || !strings.Contains(raw, `"authorities":[{"country":"NO","received":4`) ||
		!strings.Contains(raw, `"routed":[{"customer":"acme","legal_name":"Acme Industri AS","total":3,"open":1,"escalated":1,"executed":2,"declined":0,"handled":0}]`) {
		t.Errorf("report with=routed as DPO: %d %s", status, raw)
	}
	year = 0
	if status, body, raw := f.call("dpo", "GET", "/api/v1/reports/transparency?year=last", ""); status != http.StatusBadRequest || year != 0 || body["fields"] == nil {
		t.Errorf("report for year=last: %d %s, want 400 naming year before the service", status, raw)
	}
	if status, body, raw := f.call("dpo", "GET", "/api/v1/reports/transparency?year=1900", ""); status != http.StatusBadRequest || body["fields"] == nil {
		t.Errorf("report for 1900: %d %s, want the service's 400 naming year", status, raw)
	}
}

func TestSuppressionRoute(t *testing.T) {
	f := newReportsAPI(t)
	const listed, unlisted = "aa", "bb"
	f.svc.SuppressionFn = func(ctx context.Context, hash string) (dsrflow.SuppressionEntry, error) {
		switch hash {
		case listed:
			return dsrflow.SuppressionEntry{Reason: "marketing_optout"}, nil
		case unlisted:
			return dsrflow.SuppressionEntry{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "not suppressed")
		}
		return dsrflow.SuppressionEntry{}, dsrflow.Errorf(dsrflow.EINVALID, "a suppression hash is 64 hex digits")
	}
	for _, tc := range []struct {
		hash string
		want int
		body string
	}{
		{listed, http.StatusOK, `{"suppressed":true,"reason":"marketing_optout"}`},
		{unlisted, http.StatusNotFound, `{"suppressed":false}`},
		{"jane", http.StatusBadRequest, `"a suppression hash is 64 hex digits"`},
	} {
		status, _, raw := f.call("agent", "GET", "/api/v1/suppressions/"+tc.hash, "")
		if status != tc.want || !strings.Contains(raw, tc.body) {
			t.Errorf("suppression %s: %d %s, want %d with %s", tc.hash, status, raw, tc.want, tc.body)
		}
	}
}

// GET /api/v1/reports/stats answers the service's statistics for the year and period asked, to the DPO
// and admins; agents and reviewers are refused before the service is reached.
func TestRequestStatsRoute(t *testing.T) {
	f := newReportsAPI(t)
	var asked []dsrflow.StatsQuery
	f.svc.RequestStatsFn = func(ctx context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error) {
		asked = append(asked, q)
		return dsrflow.RequestStats{Year: q.Year, Period: q.Period, Total: dsrflow.StatsRow{Key: "total", Received: 7, Answered: 5, OnTime: 4, OnTimeShare: 0.8, MedianDays: 16}}, nil
	}
	for _, tok := range []string{"agent", "reviewer"} {
		if status, _, raw := f.call(tok, "GET", "/api/v1/reports/stats?year=2026", ""); status != http.StatusForbidden {
			t.Errorf("stats as %s: %d %s, want 403", tok, status, raw)
		}
	}
	for _, tok := range []string{"dpo", "admin"} {
		status, body, raw := f.call(tok, "GET", "/api/v1/reports/stats?year=2025&period=quarter", "")
		total, _ := body["total"].(map[string]any)
		if status != http.StatusOK || body["year"] != float64(2025) || body["period"] != "quarter" || total["on_time_share"] != 0.8 || total["median_days"] != float64(16) {
			t.Errorf("stats as %s: %d %s", tok, status, raw)
		}
	}
	if status, _, raw := f.call("dpo", "GET", "/api/v1/reports/stats?year=soon", ""); status != http.StatusBadRequest || !strings.Contains(raw, "year") {
		t.Errorf("stats of year=soon: %d %s, want 400 naming the year", status, raw)
	}
	if len(asked) != 2 || asked[0] != (dsrflow.StatsQuery{Year: 2025, Period: "quarter"}) {
		t.Errorf("the service was asked %+v", asked)
	}
}
