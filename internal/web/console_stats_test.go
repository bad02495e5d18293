package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// statsFixture is a year by quarter as the service answers it: a late quarter, an empty one, a
// residence that differs from the handling country.
func statsFixture(q dsrflow.StatsQuery) dsrflow.RequestStats {
	return dsrflow.RequestStats{Year: q.Year, Period: q.Period,
		Total: dsrflow.StatsRow{Key: "total", Received: 7, Extended: 1, Refused: 1, Answered: 5, OnTime: 4, OnTimeShare: 0.8, MedianDays: 16},
		Periods: []dsrflow.StatsRow{
			{Key: "2026-Q1", Received: 4, Extended: 1, Refused: 1, Answered: 4, OnTime: 3, OnTimeShare: 0.75, MedianDays: 13},
			{Key: "2026-Q2", Received: 3, Answered: 1, OnTime: 1, OnTimeShare: 1, MedianDays: 68},
			{Key: "2026-Q3"}, {Key: "2026-Q4"},
		},
		ByType: []dsrflow.StatsRow{
			{Key: "access", Received: 5, Answered: 3, OnTime: 2, OnTimeShare: 0.667, MedianDays: 16},
			{Key: "marketing_optout", Received: 2, Extended: 1, Refused: 1, Answered: 2, OnTime: 2, OnTimeShare: 1, MedianDays: 36},
		},
		ByResidence: []dsrflow.StatsRow{{Key: "SE", Received: 4, Answered: 3, OnTime: 2, OnTimeShare: 0.667, MedianDays: 10}, {Key: "NO", Received: 3, Answered: 2, OnTime: 2, OnTimeShare: 1, MedianDays: 40}},
		ByCountry:   []dsrflow.StatsRow{{Key: "NO", Received: 7, Answered: 5, OnTime: 4, OnTimeShare: 0.8, MedianDays: 16}},
		Refusals:    []dsrflow.RefusalCount{{Ground: "manifestly_unfounded"}, {Ground: "manifestly_excessive", Count: 1}, {Ground: "identity_not_confirmed"}, {Ground: "other"}},
	}
}

// The statistics page draws its charts as accessible SVG (role img, a title, each bar in words) and
// gives the same numbers in tables, with the totals; it is in the DPO's navigation and links its CSV,
// which answers the CLI's columns as an attachment named by year and period. Agents and reviewers are
// refused before the service is reached; a bad year or period is a 400.
func TestConsoleStatsPageAndCSV(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	var asked []dsrflow.StatsQuery
	svc.RequestStatsFn = func(ctx context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error) {
		if err := q.Validate(); err != nil {
			return dsrflow.RequestStats{}, err
		}
		asked = append(asked, q)
		return statsFixture(q), nil
	}
	dpo := ss.signIn(t, ss.createToken(t, "dora", RoleDPO))

	page := body(t, ss.do("GET", "/console/stats?year=2026&period=quarter", dpo, nil))
	for _, want := range []string{
		`<a href="/console/stats" aria-current="page">Statistics</a>`,
		`<h1>Request statistics 2026</h1>`,
		`<option value="quarter" selected>by quarter</option>`,
		`<a href="/console/stats.csv?period=quarter&amp;year=2026" download>Download CSV</a>`,
		`<div class="big">80%</div>answered on time (4 of 5)`,
		`<div class="big">16.0</div>median days to answer`,
		`<svg role="img" aria-labelledby="received-t received-d"`,
		`<title id="received-t">Requests received, by quarter</title>`,
		`<desc id="ontime-d">2026-Q1: 75% of 4 on time · median 13.0 days. 2026-Q2: 100% of 1 on time · median 68.0 days. 2026-Q3: no answers. 2026-Q4: no answers. </desc>`,
		`<title id="residence-t">Requests received, by country of residence</title>`,
		`<title id="refusals-t">Refusals by ground</title>`,
		`<tr><td data-label="Quarter">2026-Q1</td><td data-label="Received">4</td><td data-label="Extended">1</td><td data-label="Refused">1</td><td data-label="Answered">4</td><td data-label="On time">3</td><td data-label="On-time share">75%</td><td data-label="Median days">13.0</td></tr>`,
		`<tr><td data-label="Quarter">2026-Q3</td><td data-label="Received">0</td><td data-label="Extended">0</td><td data-label="Refused">0</td><td data-label="Answered">0</td><td data-label="On time">0</td><td data-label="On-time share">–</td><td data-label="Median days">–</td></tr>`,
		`<tfoot><tr><th scope="row" data-label="Quarter">Total</th><td data-label="Received">7</td>`,
		`<tr><td data-label="Type">marketing optout</td><td data-label="Received">2</td>`,
		`<tr><td data-label="Residence">SE</td><td data-label="Received">4</td>`,
		`<tr><td data-label="Handling country">NO</td><td data-label="Received">7</td>`,
		`<tr><td data-label="Ground">manifestly excessive</td><td data-label="Refused">1</td></tr>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the statistics page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the statistics page has a script")
	}

	resp := ss.do("GET", "/console/stats.csv?year=2026&period=quarter", dpo, nil)
	csv := body(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="request-statistics-2026-quarter.csv"` || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}
	want := "table,key,received,extended,refused,answered,on_time,on_time_share,median_days\n" +
		"total,2026,7,1,1,5,4,0.8,16\n" +
		"quarter,2026-Q1,4,1,1,4,3,0.75,13\n" +
		"quarter,2026-Q2,3,0,0,1,1,1,68\n" +
		"quarter,2026-Q3,0,0,0,0,0,,\n" +
		"quarter,2026-Q4,0,0,0,0,0,,\n" +
		"type,access,5,0,0,3,2,0.667,16\n" +
		"type,marketing_optout,2,1,1,2,2,1,36\n" +
		"residence,SE,4,0,0,3,2,0.667,10\n" +
		"residence,NO,3,0,0,2,2,1,40\n" +
		"country,NO,7,0,0,5,4,0.8,16\n" +
		"refusal_ground,manifestly_unfounded,,,0,,,,\n" +
		"refusal_ground,manifestly_excessive,,,1,,,,\n" +
		"refusal_ground,identity_not_confirmed,,,0,,,,\n" +
		"refusal_ground,other,,,0,,,,\n"
	if csv != want {
		t.Errorf("the CSV is\n%s\nwant\n%s", csv, want)
	}

	// Without a year or period: this year, by month.
	ss.do("GET", "/console/stats", dpo, nil)
	if n := len(asked); n != 3 || asked[2].Period != dsrflow.StatsMonth || asked[2].Year < 2026 {
		t.Errorf("the service was asked %+v", asked)
	}
	for _, path := range []string{"/console/stats?year=last", "/console/stats?period=week", "/console/stats.csv?period=week"} {
		if resp := ss.do("GET", path, dpo, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", path, resp.StatusCode)
		}
	}
	for _, role := range []string{RoleAgent, RoleReviewer} {
		cookie := ss.signIn(t, ss.createToken(t, "x"+role, role))
		if page := body(t, ss.do("GET", "/console", cookie, nil)); strings.Contains(page, `href="/console/stats"`) {
			t.Errorf("the %s's navigation links the statistics", role)
		}
		for _, path := range []string{"/console/stats?year=2026", "/console/stats.csv?year=2026"} {
			if resp := ss.do("GET", path, cookie, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403", path, role, resp.StatusCode)
			}
		}
	}
	if len(asked) != 3 {
		t.Errorf("the service answered %d times, want 3 (refused calls must not reach it)", len(asked))
	}
}
