package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestDoNotSellFromTheCLI is issue 19's proof that a right fits the table: a California consumer's
// opt-out of sale and sharing, filed by an agent as `starter request do_not_sell --email E --jurisdiction
// ccpa --json`, needs no code, is due 15 business days out with no extension, reaches the systems that
// sell or share (crm, analytics) and tells the partner, and the answer says so. Under the GDPR the right
// does not exist: the command fails naming the jurisdiction, and nothing is recorded.
func TestDoNotSellFromTheCLI(t *testing.T) {
	s, _ := startDevStack(t, devstack.Options{})
	ctx := context.Background()
	tok, id := web.NewToken()
	if err := s.Store.CreateToken(ctx, store.Token{ID: id, Name: "agent-1", Role: "agent", Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DSR_URL": s.URL(), "DSR_TOKEN": tok}
	const email = "jane.doe@example.com"

	code, out, errOut := runStarter(t, env, "request", "do_not_sell", "--email", email, "--json")
	if code != 3 || !strings.Contains(errOut, "jurisdiction") || !strings.Contains(errOut, "ccpa") {
		t.Fatalf("do_not_sell under the GDPR: exit %d, %q %q; want exit 3 (invalid input) naming the jurisdiction", code, out, errOut)
	}
	if rows, _ := s.Store.ListRequests(ctx, store.RequestFilter{}); len(rows) != 0 {
		t.Fatalf("a refused request left %d rows", len(rows))
	}

	before := time.Now()
	code, out, errOut = runStarter(t, env, "request", "do_not_sell", "--email", email, "--jurisdiction", "ccpa", "--json")
	var created dsrflow.CreatedRequest
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil {
		t.Fatalf("starter request do_not_sell: exit %d, %q %q", code, out, errOut)
	}
	want, err := deadline.ComputeFor(before, "US", deadline.CCPA, dsrflow.DoNotSell.Right())
	if err != nil {
		t.Fatal(err)
	}
	received := want.Received
	if created.Due != want.Due.String() || created.ExtendedDue != created.Due || created.Verification != string(dsrflow.VerifyNone) {
		t.Fatalf("created %+v; want due %s (15 business days after %s), no extension, no verification", created, want.Due, received)
	}
	if days := businessDays(received, want.Due); days != 15 {
		t.Fatalf("due %s is %d business days after %s, want 15", want.Due, days, received)
	}

	var v dsrflow.RequestView
	deadlineAt := time.Now().Add(60 * time.Second)
	for {
		code, out, errOut = runStarter(t, env, "show", created.ID, "--json")
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
			t.Fatalf("starter show: exit %d, %q %q", code, out, errOut)
		}
		if v.Status == string(dsrflow.StatusCompleted) || time.Now().After(deadlineAt) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if v.Status != string(dsrflow.StatusCompleted) || v.Jurisdiction != "ccpa" || v.Country != "US" {
		t.Fatalf("request = %s %s %s, want completed under ccpa in US", v.Status, v.Jurisdiction, v.Country)
	}
	jobs := map[string]string{}
	for _, j := range v.Jobs {
		jobs[j.Connector+"/"+j.Action] = j.Status
	}
	if jobs["crm/optout_sale"] != "completed" || jobs["analytics/optout_sale"] == "" || jobs["adpartner/notify"] != "completed" || len(jobs) != 3 {
		t.Fatalf("jobs = %v; want optout_sale at crm and analytics, the partner notified, nothing else", jobs)
	}
	msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: created.ID})
	if err != nil {
		t.Fatal(err)
	}
	var answer string
	for _, m := range msgs {
		if m.Kind == "answer" && m.To == email {
			answer = m.Body
		}
		if m.Kind == "code" {
			t.Errorf("a code was mailed for an opt-out that needs none")
		}
	}
	for _, s := range []string{"request that we do not sell or share your personal information", "We no longer sell or share your personal information"} {
		if !strings.Contains(answer, s) {
			t.Errorf("the answer does not say %q:\n%s", s, answer)
		}
	}
}

// businessDays counts Monday-to-Friday days after from, up to and including to.
func businessDays(from, to deadline.Date) int {
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}
