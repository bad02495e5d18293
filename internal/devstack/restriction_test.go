package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestRestrictionGroundSweepAndLift on the demo group: a restriction without a ground is a 400 naming
// ground and records nothing; john's restriction on ground (a) is answered naming the ground and until
// when it lasts; the retention sweep keeps his 27-month lead because he is restricted and says so; the
// lift is a 409 for anything but a completed restriction, tells john before the crm lifts it, runs the
// unrestrict jobs, shows the request lifted, and a second lift starts nothing; the next sweep deletes
// the lead.
func TestRestrictionGroundSweepAndLift(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	ctx := context.Background()
	john := "john.roe@example.com"
	day := func(monthsAgo int) string { return time.Now().UTC().AddDate(0, -monthsAgo, 0).Format(time.DateOnly) }

	status, data := c.call("POST", "/api/v1/requests", web.NewRequest{Type: "restriction", Email: john, Attest: "signed letter"})
	var e struct{ Fields map[string]string }
	_ = json.Unmarshal(data, &e)
	if status != http.StatusBadRequest || !strings.Contains(e.Fields["ground"], "accuracy_contested") {
		t.Fatalf("restriction without a ground: %d %s, want 400 naming ground", status, data)
	}
	if rows, _ := s.Store.ListRequests(ctx, store.RequestFilter{}); len(rows) != 0 {
		t.Fatalf("a refused restriction left %d rows", len(rows))
	}

	id := c.create(web.NewRequest{Type: "restriction", Email: john, Attest: "signed letter", Ground: "accuracy_contested"})
	c.waitStatus(id, "completed")
	answer := c.answer(id)
	for _, want := range []string{
		"You asked for the restriction because you contest the accuracy of your personal data (GDPR Art. 18(1)(a)).",
		"The restriction lasts until we have checked whether your data is accurate.",
		"We will tell you before we lift the restriction.",
	} {
		if !strings.Contains(answer, want) {
			t.Errorf("the answer lacks %q:\n%s", want, answer)
		}
	}

	sweep := func(id string, at time.Time) workflows.RetentionSummary {
		t.Helper()
		run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.Retention, workflows.RetentionInput{Now: &at})
		if err != nil {
			t.Fatal(err)
		}
		var out workflows.RetentionSummary
		if err := run.Get(ctx, &out); err != nil {
			t.Fatalf("sweep %s: %v", id, err)
		}
		return out
	}
	first := sweep("h15-sweep-restricted", time.Now().UTC())
	if len(first.Connectors) != 1 || first.Connectors[0].RestrictedKept != 1 {
		t.Fatalf("sweep %+v, want the crm keeping john's one lead because he is restricted", first.Connectors)
	}
	if got := leads(t, s, john, "after-sweep-john"); !slices.Contains(got, day(27)) {
		t.Fatalf("the sweep deleted a restricted lead: john's leads %v", got)
	}
	events, _ := s.Store.ListAudit(ctx, first.Sweep)
	if i := slices.IndexFunc(events, func(e store.AuditEvent) bool { return e.Action == "retention_purged" }); i < 0 || events[i].Detail["restricted_kept"] != "1" {
		t.Fatalf("the sweep's audit does not say a lead was kept because restricted: %+v", events)
	}

	optout := c.create(web.NewRequest{Type: "marketing_optout", Email: nobody})
	c.waitStatus(optout, "completed")
	if status, data := c.call("POST", "/api/v1/requests/"+optout+"/restriction/lift", map[string]string{"reason": "x"}); status != http.StatusConflict || !strings.Contains(string(data), "not a restriction") {
		t.Fatalf("lift an opt-out: %d %s, want 409", status, data)
	}
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/restriction/lift", map[string]string{}); status != http.StatusBadRequest || !strings.Contains(string(data), "reason") {
		t.Fatalf("lift without a reason: %d %s, want 400 naming reason", status, data)
	}
	reason := "Our check found your data accurate"
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/restriction/lift", map[string]string{"reason": reason}); status != http.StatusAccepted {
		t.Fatalf("lift: %d %s, want 202", status, data)
	}
	var v web.RequestView
	waitFor(t, "the lift", func() bool { v = c.show(id); return v.RestrictionLifted != nil })
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/restriction/lift", map[string]string{"reason": reason}); status != http.StatusOK || !strings.Contains(string(data), `"already":true`) {
		t.Fatalf("second lift: %d %s, want 200 already", status, data)
	}
	if j := jobsByConnector(v)["crm/unrestrict"]; j.Status != "completed" {
		t.Fatalf("crm unrestrict job %+v; jobs %+v", j, v.Jobs)
	}
	var order []string
	for _, e := range v.Events {
		if strings.HasPrefix(e.Action, "restriction_lift") || e.Action == "job_completed" && strings.Contains(e.Detail["action"], "unrestrict") {
			order = append(order, e.Action)
		}
	}
	if len(order) < 3 || order[0] != "restriction_lift_requested" || order[1] != "restriction_lift_notice_sent" || order[len(order)-1] != "restriction_lifted" {
		t.Fatalf("lift events %v, want requested, notice sent, ..., lifted", order)
	}
	notice := c.answerKind(id, "restriction_lift_notice")
	for _, want := range []string{"before we do it, that we are lifting that restriction", reason, "Datatilsynet", "court"} {
		if !strings.Contains(notice, want) {
			t.Errorf("the lift notice lacks %q:\n%s", want, notice)
		}
	}
	if n := c.queued(id, "restriction_lift_notice"); n != 1 {
		t.Errorf("%d lift notices queued, want 1", n)
	}

	second := sweep("h15-sweep-lifted", time.Now().UTC().AddDate(0, 0, 1))
	if len(second.Connectors) != 1 || second.Connectors[0].RestrictedKept != 0 || second.Connectors[0].Purged == 0 {
		t.Fatalf("sweep after the lift %+v, want john's lead purged", second.Connectors)
	}
	if got := leads(t, s, john, "after-lift-john"); slices.Contains(got, day(27)) {
		t.Errorf("john's 27-month lead outlived the lift and the next sweep: %v", got)
	}
}
