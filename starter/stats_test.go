package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/web"
)

// `starter report stats` asks the front door for the year and period given and prints the figures as a
// table, as JSON or as the console's CSV; a bad period is refused before any call.
func TestReportStats(t *testing.T) {
	svc := &fake.RequestService{}
	var asked []dsrflow.StatsQuery
	svc.RequestStatsFn = func(_ context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error) {
		asked = append(asked, q)
		return dsrflow.RequestStats{Year: q.Year, Period: q.Period,
			Total:    dsrflow.StatsRow{Key: "total", Received: 7, Extended: 1, Answered: 5, OnTime: 4, OnTimeShare: 0.8, MedianDays: 16},
			Periods:  []dsrflow.StatsRow{{Key: "2025-Q1", Received: 7, Extended: 1, Answered: 5, OnTime: 4, OnTimeShare: 0.8, MedianDays: 16}, {Key: "2025-Q2"}},
			ByType:   []dsrflow.StatsRow{{Key: "access", Received: 7}},
			Refusals: []dsrflow.RefusalCount{{Ground: "other", Count: 2}},
		}, nil
	}
	srv := httptest.NewServer(web.NewServer(web.Deps{Service: svc, Auth: web.DevToken("tok")}))
	defer srv.Close()
	env := map[string]string{"DSR_URL": srv.URL, "DSR_TOKEN": "tok"}

	code, out, errOut := runStarter(t, env, "report", "stats", "--year", "2025", "--period", "quarter")
	if code != 0 {
		t.Fatalf("report stats: %d %q", code, errOut)
	}
	for _, want := range []string{"QUARTER  RECEIVED", "2025-Q1  7         1         0        5         4        80%    16.0", "2025-Q2  0         0         0        0         0        -      -",
		"2025  7", "REFUSAL GROUND  REFUSED\nother           2"} {
		if !strings.Contains(out, want) {
			t.Errorf("report stats lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runStarter(t, env, "report", "stats", "--year", "2025", "--period", "quarter", "--csv")
	if code != 0 || !strings.HasPrefix(out, "table,key,received,extended,refused,answered,on_time,on_time_share,median_days\ntotal,2025,7,1,0,5,4,0.8,16\nquarter,2025-Q1,") {
		t.Errorf("report stats --csv: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runStarter(t, env, "report", "stats", "--year", "2025", "--json"); code != 0 || !strings.Contains(out, `"on_time_share": 0.8`) {
		t.Errorf("report stats --json: %d %q", code, out)
	}
	if code, _, errOut := runStarter(t, env, "report", "stats", "--period", "week"); code == 0 || !strings.Contains(errOut, "period must be month or quarter") {
		t.Errorf("report stats --period week: %d %q", code, errOut)
	}
	if len(asked) != 3 || asked[0] != (dsrflow.StatsQuery{Year: 2025, Period: "quarter"}) || asked[2].Period != "month" {
		t.Errorf("the service was asked %+v", asked)
	}
}
