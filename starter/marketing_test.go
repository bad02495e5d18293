package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestMarketingRightsCannotBeRefused is issue 15's "marketing rights that cannot be refused" on the demo
// group, through the CLI and the API: an objection to direct marketing (`--purpose marketing`) goes
// from receipt straight to fulfilment, with no code and no review, and a reviewer's reject is 409; an
// unknown purpose is refused naming the field; an address that opted out (the ad partner told too)
// and was then erased is refused by the demo CRM's import, which a new address passes.
func TestMarketingRightsCannotBeRefused(t *testing.T) {
	s, _ := startDevStack(t, devstack.Options{})
	ctx := context.Background()
	token := func(name, role string) string {
		tok, id := web.NewToken()
		if err := s.Store.CreateToken(ctx, store.Token{ID: id, Name: name, Role: role, Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	agentTok, reviewerTok := token("agent-1", "agent"), token("legal-1", "reviewer")
	env := map[string]string{"DSR_URL": s.URL(), "DSR_TOKEN": agentTok}
	const jane, john = "jane.doe@example.com", "john.roe@example.com"

	create := func(args ...string) dsrflow.CreatedRequest {
		t.Helper()
		code, out, errOut := runStarter(t, env, append([]string{"request"}, append(args, "--json")...)...)
		var c dsrflow.CreatedRequest
		if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("starter request %v: exit %d, %q %q", args, code, out, errOut)
		}
		return c
	}
	await := func(id string) dsrflow.RequestView {
		t.Helper()
		var v dsrflow.RequestView
		for until := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			code, out, errOut := runStarter(t, env, "show", id, "--json")
			if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
				t.Fatalf("starter show: exit %d, %q %q", code, out, errOut)
			}
			if dsrflow.Status(v.Status).Closed() || time.Now().After(until) {
				return v
			}
		}
	}
	jobs := func(v dsrflow.RequestView) map[string]string {
		m := map[string]string{}
		for _, j := range v.Jobs {
			m[j.Connector+"/"+j.Action] = j.Status
		}
		return m
	}
	answer := func(id, to string) string {
		t.Helper()
		msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Kind == "code" {
				t.Errorf("%s: a code was mailed; an objection to direct marketing needs none", id)
			}
			if m.Kind == "answer" && m.To == to {
				return m.Body
			}
		}
		t.Fatalf("%s: no answer mailed to the subject", id)
		return ""
	}

	// An unknown purpose changes nothing and names the field.
	if code, out, errOut := runStarter(t, env, "request", "objection", "--email", jane, "--purpose", "totally_bogus_purpose", "--json"); code != 3 ||
		!strings.Contains(errOut, "purposes") || !strings.Contains(errOut, "totally_bogus_purpose") {
		t.Fatalf("objection with a bogus purpose: exit %d, %q %q; want exit 3 naming purposes and the id", code, out, errOut)
	}

	// The objection to direct marketing: no code, no review, carried out.
	obj := create("objection", "--email", jane, "--purpose", "marketing")
	if obj.Verification != string(dsrflow.VerifyNone) {
		t.Errorf("verification = %s, want none", obj.Verification)
	}
	v := await(obj.ID)
	if v.Status != string(dsrflow.StatusCompleted) {
		t.Fatalf("marketing objection ended %s, want completed", v.Status)
	}
	var actions []string
	for _, e := range v.Events {
		actions = append(actions, e.Action)
	}
	trail := strings.Join(actions, " ")
	if strings.Contains(trail, "review_requested") || strings.Contains(trail, "verification_started") || !strings.Contains(trail, "review_not_required") ||
		!strings.Contains(trail, "fulfilment_started") {
		t.Errorf("timeline %s: want straight to fulfilment (review_not_required, no verification, no review)", trail)
	}
	if j := jobs(v); j["crm/object"] != "completed" || j["analytics/object"] != "completed" {
		t.Errorf("jobs = %v, want object at crm and analytics", j)
	}
	if body := answer(obj.ID, jane); !strings.Contains(body, "We have stopped processing your data for the purposes you objected to") || strings.Contains(body, "compelling legitimate grounds") {
		t.Errorf("answer does not say the objection was carried out:\n%s", body)
	}

	// A reviewer's reject: 409 with the reason, over the API as the CLI's users and Slack's would meet it.
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/requests/"+obj.ID+"/decisions", strings.NewReader(`{"decision":"reject","reason":"we want to keep mailing"}`))
	req.Header.Set("Authorization", "Bearer "+reviewerTok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "Art. 21(3)") {
		t.Errorf("reject of a marketing objection: %d %s; want 409 naming Art. 21(3)", resp.StatusCode, body)
	}
	reviewerEnv := map[string]string{"DSR_URL": s.URL(), "DSR_TOKEN": reviewerTok}
	if code, out, errOut := runStarter(t, reviewerEnv, "approve", obj.ID, "--reject", "--reason", "we want to keep mailing"); code != 3 || !strings.Contains(errOut, "Art. 21(3)") {
		t.Errorf("starter approve --reject: exit %d, %q %q; want exit 3 (conflict) naming Art. 21(3)", code, out, errOut)
	}
	if v := await(obj.ID); len(v.Decisions) != 0 || v.Status != string(dsrflow.StatusCompleted) {
		t.Errorf("after the refused reject: %d decisions, status %s", len(v.Decisions), v.Status)
	}

	// John opts out (the ad partner is told), then is erased; the CRM's import refuses him.
	opt := create("marketing_optout", "--email", john)
	if v := await(opt.ID); v.Status != string(dsrflow.StatusCompleted) || jobs(v)["adpartner/optout"] != "completed" || jobs(v)["crm/optout"] != "completed" {
		t.Fatalf("opt-out: %s, jobs %v; want completed with the ad partner's optout", v.Status, jobs(v))
	}
	if body := answer(opt.ID, john); !strings.Contains(body, "We have told the partners who market our products to stop marketing to you as well.") {
		t.Errorf("opt-out answer does not say the partner was told:\n%s", body)
	}
	erase := create("erasure", "--email", john, "--attest", "identity checked on a call from the number on file")
	if v := await(erase.ID); v.Status != string(dsrflow.StatusCompleted) {
		t.Fatalf("erasure ended %s", v.Status)
	}
	staffCheck := func(email string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/suppressions/"+s.Product.Key.SuppressionHash(email), nil)
		req.Header.Set("Authorization", "Bearer "+agentTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := staffCheck(" John.Roe@Example.com"); got != http.StatusOK {
		t.Errorf("suppression of the erased address: %d, want 200", got)
	}
	if got := staffCheck("someone.new@example.com"); got != http.StatusNotFound {
		t.Errorf("suppression of a new address: %d, want 404", got)
	}
	importLead := func(email string) (int, string) {
		b, _ := json.Marshal(map[string]string{"email": email, "name": "Imported", "interest": "home insurance", "source": "trade fair list"})
		resp, err := http.Post(s.Demo.URL()+"/crm/import", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := importLead("JOHN.ROE@example.com"); code != http.StatusConflict || !strings.Contains(body, "suppressed") {
		t.Errorf("CRM import of the opted-out, erased address: %d %s; want 409 suppressed", code, body)
	}
	if code, body := importLead("someone.new@example.com"); code != http.StatusCreated {
		t.Errorf("CRM import of a new address: %d %s; want 201", code, body)
	}
}
