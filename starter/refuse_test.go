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
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestRefusalFromTheCLI is issue 15's refusal on the dev stack: a letter entered a month after it
// arrived waits for its code instead of lapsing at once; an agent may not refuse it; a bogus ground is
// refused naming the field; the DPO's refusal closes it as rejected and the subject's mail carries the
// reasons, the supervisory authority and the court; a second refusal is a conflict; the dashboard and
// /metrics count it by ground. A consent withdrawal for a purpose the controller does not declare is a
// 400 naming the field, and a repeated opt-out is flagged, not refused.
func TestRefusalFromTheCLI(t *testing.T) {
	s, _ := startDevStack(t, devstack.Options{})
	ctx := context.Background()
	token := func(name, role string) string {
		tok, id := web.NewToken()
		if err := s.Store.CreateToken(ctx, store.Token{ID: id, Name: name, Role: role, Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	agentTok, dpoTok := token("agent-1", "agent"), token("dpo-1", "dpo")
	agent := map[string]string{"DSR_URL": s.URL(), "DSR_TOKEN": agentTok}
	dpo := map[string]string{"DSR_URL": s.URL(), "DSR_TOKEN": dpoTok}
	const email = "jane.doe@example.com"

	received := time.Now().AddDate(0, -1, 0).Format("2006-01-02")
	code, out, errOut := runStarter(t, agent, "request", "erasure", "--email", email, "--received", received, "--channel", "letter", "--json")
	var created dsrflow.CreatedRequest
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil {
		t.Fatalf("starter request erasure: exit %d, %q %q", code, out, errOut)
	}
	v := waitFor(t, agent, created.ID, func(v dsrflow.RequestView) bool { return v.Status == string(dsrflow.StatusVerifying) })
	time.Sleep(3 * time.Second) // before the fix: code, two reminders and the lapse within 2 s
	v = show(t, agent, created.ID)
	if v.Status != string(dsrflow.StatusVerifying) {
		t.Fatalf("a backdated request is %s 3 s after it was entered, want verifying", v.Status)
	}
	if codes, reminders := mailsOf(t, s, created.ID, "verification_code"), mailsOf(t, s, created.ID, "verification_reminder"); len(codes) != 1 || len(reminders) != 0 {
		t.Errorf("%d code mails and %d reminders 3 s after entry, want the one code and no reminder yet", len(codes), len(reminders))
	}

	if code, _, errOut := runStarter(t, agent, "refuse", created.ID, "--ground", "manifestly_excessive", "--reason", "x"); code != app.ExitDenied {
		t.Errorf("an agent's refusal: exit %d %q, want %d (denied)", code, errOut, app.ExitDenied)
	}
	if code, _, errOut := runStarter(t, dpo, "refuse", created.ID, "--ground", "bored", "--reason", "x"); code != app.ExitInvalid || !strings.Contains(errOut, "ground") {
		t.Errorf("a bogus ground: exit %d %q, want %d naming the ground", code, errOut, app.ExitInvalid)
	}
	if code, _, errOut := runStarter(t, dpo, "refuse", created.ID, "--ground", "other", "--reason", " "); code != app.ExitInvalid || !strings.Contains(errOut, "reason") {
		t.Errorf("an empty reason: exit %d %q, want %d naming the reason", code, errOut, app.ExitInvalid)
	}
	if v := show(t, agent, created.ID); v.Status != string(dsrflow.StatusVerifying) {
		t.Fatalf("refused refusals changed the request: %s", v.Status)
	}

	const reason = "You have asked us to erase the same data four times this month, and we erased it on 2 November"
	code, out, errOut = runStarter(t, dpo, "refuse", created.ID, "--ground", "manifestly_excessive", "--reason", reason, "--json")
	var st dsrflow.RequestState
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Status != string(dsrflow.StatusRejected) {
		t.Fatalf("starter refuse: exit %d, %q %q; want the state rejected", code, out, errOut)
	}
	v = waitFor(t, agent, created.ID, func(v dsrflow.RequestView) bool { return v.Closed != nil })
	if v.Status != string(dsrflow.StatusRejected) {
		t.Fatalf("refused request is %s, want rejected", v.Status)
	}
	var refused *dsrflow.EventView
	for i, e := range v.Events {
		if e.Action == "request_refused" {
			refused = &v.Events[i]
		}
	}
	if refused == nil || refused.Detail["ground"] != "manifestly_excessive" || refused.Reason != reason || refused.Actor != "token:dpo-1" {
		t.Errorf("audit event request_refused = %+v, want the ground, the reason and the DPO", refused)
	}
	answers := mailsOf(t, s, created.ID, "answer")
	if len(answers) != 1 {
		t.Fatalf("%d answers, want 1", len(answers))
	}
	for _, want := range []string{
		"We have decided not to carry out your request to erase your personal data.",
		"manifestly excessive",
		"Our reasons: " + reason + ".",
		"Datatilsynet: https://www.datatilsynet.no",
		"effective judicial remedy: you can take the matter to the courts",
	} {
		if !strings.Contains(answers[0].Body, want) {
			t.Errorf("the refusal mail lacks %q:\n%s", want, answers[0].Body)
		}
	}
	if code, _, errOut := runStarter(t, dpo, "refuse", created.ID, "--ground", "other", "--reason", "again"); code != app.ExitInvalid || !strings.Contains(errOut, "can no longer be refused") {
		t.Errorf("a refusal after the answer: exit %d %q, want %d (conflict)", code, errOut, app.ExitInvalid)
	}

	var dash dsrflow.Dashboard
	if status, body := apiCall(t, s.URL(), agentTok, "GET", "/api/v1/dashboard", ""); status != http.StatusOK || json.Unmarshal(body, &dash) != nil {
		t.Fatalf("dashboard: %d %s", status, body)
	}
	counts := map[string]int{}
	for _, r := range dash.Refusals {
		counts[r.Ground] = r.Count
	}
	if counts["manifestly_excessive"] != 1 || counts["manifestly_unfounded"] != 0 || len(counts) != len(dsrflow.RefusalGrounds) {
		t.Errorf("dashboard refusals %v, want manifestly_excessive 1 and every ground listed", dash.Refusals)
	}
	if _, body := apiCall(t, s.URL(), "", "GET", "/metrics", ""); !strings.Contains(string(body), `dsrflow_refusals{ground="manifestly_excessive"} 1`) {
		t.Errorf("/metrics lacks the refusal by ground")
	}

	status, body := apiCall(t, s.URL(), agentTok, "POST", "/api/v1/requests", `{"type":"consent_withdrawal","email":"jane.doe@example.com","purposes":["totally_bogus_purpose"]}`)
	var e struct {
		Fields map[string]string `json:"fields"`
	}
	_ = json.Unmarshal(body, &e)
	if status != http.StatusBadRequest || !strings.Contains(e.Fields["purposes"], "totally_bogus_purpose") {
		t.Errorf("a bogus purpose: %d %s, want 400 naming purposes", status, body)
	}
	code, out, errOut = runStarter(t, agent, "request", "consent_withdrawal", "--email", email, "--purpose", "email_marketing", "--json")
	if code != 0 {
		t.Fatalf("a declared purpose: exit %d %q %q", code, out, errOut)
	}

	first := createJSON(t, agent, "marketing_optout", email)
	waitFor(t, agent, first, func(v dsrflow.RequestView) bool { return v.Status == string(dsrflow.StatusCompleted) })
	second := createJSON(t, agent, "marketing_optout", email)
	v = waitFor(t, agent, second, func(v dsrflow.RequestView) bool { return v.Status != string(dsrflow.StatusReceived) })
	if v.RepeatOf != first {
		t.Errorf("repeat_of %q, want %s", v.RepeatOf, first)
	}
	code, out, _ = runStarter(t, agent, "show", second)
	if code != 0 || !strings.Contains(out, "repeat of") || !strings.Contains(out, first) {
		t.Errorf("starter show does not flag the repeat:\n%s", out)
	}
}

func show(t *testing.T, env map[string]string, id string) dsrflow.RequestView {
	t.Helper()
	code, out, errOut := runStarter(t, env, "show", id, "--json")
	var v dsrflow.RequestView
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("starter show: exit %d, %q %q", code, out, errOut)
	}
	return v
}

func waitFor(t *testing.T, env map[string]string, id string, ok func(dsrflow.RequestView) bool) dsrflow.RequestView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v := show(t, env, id)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s stayed %s", id, v.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func createJSON(t *testing.T, env map[string]string, typ, email string) string {
	t.Helper()
	code, out, errOut := runStarter(t, env, "request", typ, "--email", email, "--json")
	var created dsrflow.CreatedRequest
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil {
		t.Fatalf("starter request %s: exit %d, %q %q", typ, code, out, errOut)
	}
	return created.ID
}

func mailsOf(t *testing.T, s *devstack.Stack, id, kind string) []store.Message {
	t.Helper()
	msgs, err := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Message
	for _, m := range msgs {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func apiCall(t *testing.T, base, token, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
