package slack

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dsrflow/dsrflow"
)

// buttons decodes a message's buttons: action_id → value.
func buttons(t *testing.T, blocks json.RawMessage) map[string]buttonValue {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	out := map[string]buttonValue{}
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			var v buttonValue
			dec := json.NewDecoder(strings.NewReader(e.Value))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("button %s value %q: %v", e.ActionID, e.Value, err)
			}
			out[e.ActionID] = v
		}
	}
	return out
}

func TestPostRendersTheCard(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	if m.Channel != "C0REVIEW" {
		t.Errorf("posted in %s, want the review channel", m.Channel)
	}
	calls := e.fake.Calls("chat.postMessage")
	if len(calls) != 1 || calls[0].Token != "xoxb-test" {
		t.Fatalf("calls %+v", calls)
	}
	body := string(m.Blocks)
	for _, want := range []string{"Court-order disclosure", "Case reference", "2026-0042", "contact, orders", "https://dsr.example/requests/disclosure-7f3a9c2e|Open in dsrflow", "Awaiting two approvals from legal"} {
		if !strings.Contains(body, want) {
			t.Errorf("card lacks %q:\n%s", want, body)
		}
	}
	got := buttons(t, m.Blocks)
	want := map[string]buttonValue{
		"dsr_approve": {ReviewID: "disclosure-7f3a9c2e", Kind: dsrflow.ReviewDisclosure},
		"dsr_reject":  {ReviewID: "disclosure-7f3a9c2e", Kind: dsrflow.ReviewDisclosure},
		"dsr_narrow":  {ReviewID: "disclosure-7f3a9c2e", Kind: dsrflow.ReviewDisclosure, Scope: []string{"contact", "orders"}},
	}
	if len(got) != len(want) {
		t.Fatalf("buttons %v, want %v", got, want)
	}
	for id, w := range want {
		if g := got[id]; g.ReviewID != w.ReviewID || g.Kind != w.Kind || !slices.Equal(g.Scope, w.Scope) {
			t.Errorf("button %s = %+v, want %+v", id, g, w)
		}
	}
	if !strings.Contains(m.Text, "Court-order disclosure") {
		t.Errorf("notification text %q", m.Text)
	}
}

// A card names the case, never the subject; should a caller slip, the address does not reach Slack.
func TestCardMasksPersonalData(t *testing.T) {
	e := newEnv(t)
	c := dsrflow.Card{
		ReviewID: "req-0b9d/crm-manual", Kind: dsrflow.ReviewTask, Channel: "C0CRMTEAM",
		Title:   "Erase in the CRM for anna.demo@example.com",
		Fields:  []dsrflow.CardField{{Label: "Subject", Value: "anna.demo@example.com, +46 70 123 45 67"}, {Label: "Action", Value: "erase"}},
		Actions: []dsrflow.VoteAction{dsrflow.VoteDone, dsrflow.VoteNothingFound, dsrflow.VoteCannot},
		State:   "Waiting for the CRM team",
	}
	ref, err := e.app.Post(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Channel != "C0CRMTEAM" {
		t.Errorf("a task card goes to its own channel, got %s", ref.Channel)
	}
	raw := e.fake.Calls("chat.postMessage")[0].Form.Encode()
	for _, pd := range []string{"anna.demo", "example.com", "70 123 45 67"} {
		if strings.Contains(raw, pd) || strings.Contains(raw, strings.ReplaceAll(pd, " ", "+")) {
			t.Errorf("chat.postMessage carries %q: %s", pd, raw)
		}
	}
	if got := buttons(t, e.fake.Messages("C0CRMTEAM")[0].Blocks); len(got) != 3 || got["dsr_done"].ReviewID != "req-0b9d/crm-manual" || got["dsr_cannot"].Kind != dsrflow.ReviewTask {
		t.Errorf("task buttons %v", got)
	}
}

func TestUpdateRemovesButtonsWhenFinal(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	c := disclosureCard()
	c.Actions, c.State = nil, "Approved by <@U01LEGAL1> and <@U01LEGAL2>"
	if err := e.app.Update(context.Background(), dsrflow.CardRef{Channel: m.Channel, TS: m.TS}, c); err != nil {
		t.Fatal(err)
	}
	got, _ := e.fake.Message(m.Channel, m.TS)
	if slices.Contains(blockTypes(t, got.Blocks), "actions") {
		t.Errorf("final card still has buttons: %s", got.Blocks)
	}
	if !strings.Contains(got.Content(), "Approved by <@U01LEGAL1> and <@U01LEGAL2>") {
		t.Errorf("state not shown: %s", got.Blocks)
	}
	if err := e.app.Update(context.Background(), dsrflow.CardRef{Channel: m.Channel, TS: "1.000000"}, c); err == nil || !strings.Contains(err.Error(), "message_not_found") {
		t.Errorf("update of a missing message: %v", err)
	}
}

func TestAlert(t *testing.T) {
	e := newEnv(t)
	err := e.app.Alert(context.Background(), dsrflow.Alert{Severity: "critical", Title: "Connector crm failed for good", Text: "req-0b9d: erase failed after 20 attempts", Link: "https://dsr.example/requests/req-0b9d"})
	if err != nil {
		t.Fatal(err)
	}
	ms := e.fake.Messages("C0ALERT")
	if len(ms) != 1 || !contains(string(ms[0].Blocks), ":rotating_light:", "Connector crm failed for good", "req-0b9d|Open in dsrflow") {
		t.Fatalf("alert channel holds %+v", ms)
	}
}

func TestSlackErrorsAreReturned(t *testing.T) {
	e := newEnv(t)
	e.fake.Fail("chat.postMessage", "channel_not_found")
	if _, err := e.app.Post(context.Background(), disclosureCard()); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("Post: %v", err)
	}
	e.fake.Fail("chat.postMessage", "") // 500
	if err := e.app.Alert(context.Background(), dsrflow.Alert{Title: "x"}); err == nil {
		t.Error("Alert on a 500: no error")
	}
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t)
	t.Run("short Retry-After is waited out", func(t *testing.T) {
		e.fake.RateLimit("chat.postMessage", 1, 1)
		start := time.Now()
		ref, err := e.app.Post(context.Background(), disclosureCard())
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("posted after %s, before Retry-After", d)
		}
		if ms := e.fake.Messages("C0REVIEW"); len(ms) != 1 || ms[0].TS != ref.TS {
			t.Errorf("posted %d messages, want exactly one", len(ms))
		}
	})
	t.Run("long Retry-After is the caller's to wait", func(t *testing.T) {
		e.fake.RateLimit("chat.update", 120, 1)
		start := time.Now()
		err := e.app.Update(context.Background(), dsrflow.CardRef{Channel: "C0REVIEW", TS: e.fake.Messages("C0REVIEW")[0].TS}, disclosureCard())
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Minute {
			t.Fatalf("err = %v, want the rate limit", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %s", d)
		}
	})
	t.Run("the context bounds the wait", func(t *testing.T) {
		e.fake.RateLimit("chat.postMessage", 5, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if err := e.app.Alert(ctx, dsrflow.Alert{Title: "x"}); err == nil {
			t.Error("no error")
		}
	})
}

func TestUnknownActionIsAnError(t *testing.T) {
	c := disclosureCard()
	c.Actions = append(c.Actions, "escalate")
	if _, _, err := cardBlocks(c); err == nil {
		t.Error("a card with an unknown action renders")
	}
}
