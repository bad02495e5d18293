package slack

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/slack/slacktest"
)

// runSocket runs Socket Mode until the test ends (or stop is called) and reports how it returned.
func runSocket(t *testing.T, e *env) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.app.RunSocketMode(ctx) }()
	stopped := false
	stop = func() error {
		cancel()
		if stopped {
			return nil
		}
		stopped = true
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("RunSocketMode did not return 5 s after its context ended")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestSocketModeEndToEnd(t *testing.T) {
	e := newEnv(t)
	stop := runSocket(t, e)
	e.fake.WaitConnected(t)
	if calls := e.fake.Calls("apps.connections.open"); len(calls) != 1 || calls[0].Token != "xapp-test" {
		t.Fatalf("apps.connections.open calls %+v: the app token opens the socket", calls)
	}
	m := e.post(t)

	// A click: acknowledged, voted, the card updated.
	click := e.fake.Click(t, m, legal1, "dsr_approve")
	id := e.fake.PushInteractive(t, click)
	if ack := e.fake.WaitAck(t, id); len(ack.Payload) != 0 {
		t.Errorf("a click's ack carries %s", ack.Payload)
	}
	e.fake.WaitCalls(t, "chat.update", 1)
	got, _ := e.fake.Message(m.Channel, m.TS)
	if !strings.Contains(got.Content(), "Approved by <@U01LEGAL1>; one more legal approval needed") {
		t.Errorf("card after the click:\n%s", got.Content())
	}

	// Slack redelivers the envelope it thinks was lost: acknowledged again, not voted again.
	e.fake.WaitAck(t, e.fake.PushInteractive(t, click, 1))

	// An outsider is told, through the same path.
	e.fake.WaitAck(t, e.fake.PushInteractive(t, e.fake.Click(t, m, outsider, "dsr_approve")))
	if eph := e.fake.WaitEphemeral(t, 1); eph.User != outsider || eph.Text != "you are not in the legal group" {
		t.Errorf("outsider told %+v", eph)
	}

	// Reject: the modal; a blank reason is refused in the ack, a real one is a vote.
	e.fake.WaitAck(t, e.fake.PushInteractive(t, e.fake.Click(t, m, legal2, "dsr_reject")))
	view := e.fake.WaitView(t, 1)
	ack := e.fake.WaitAck(t, e.fake.PushInteractive(t, e.fake.Submit(t, view, legal2, slacktest.Input{BlockID: "dsr_reason", ActionID: "reason"})))
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &answer); err != nil || answer.ResponseAction != "errors" || answer.Errors["dsr_reason"] == "" {
		t.Errorf("blank reason acknowledged with %s", ack.Payload)
	}
	e.fake.WaitAck(t, e.fake.PushInteractive(t, e.fake.Submit(t, view, legal2, slacktest.Input{BlockID: "dsr_reason", ActionID: "reason", Value: "Out of scope."})))
	e.fake.WaitCalls(t, "chat.update", 2)
	got, _ = e.fake.Message(m.Channel, m.TS)
	if !strings.Contains(got.Content(), "Rejected by <@U01LEGAL2>") || slices.Contains(blockTypes(t, got.Blocks), "actions") {
		t.Errorf("card after the rejection:\n%s", got.Blocks)
	}

	if err := stop(); err != nil {
		t.Errorf("RunSocketMode returned %v after its context ended, want nil", err)
	}
	e.close()
	calls, counted := e.disp.snapshot()
	if len(calls) != 3 || len(counted) != 2 {
		t.Errorf("dispatcher: %d calls, %d counted; want 3 (legal1, outsider, legal2) and 2", len(calls), len(counted))
	}
}

func TestSocketModeRefusesAnUnusableToken(t *testing.T) {
	e := newEnv(t)
	e.fake.Fail("apps.connections.open", "invalid_auth")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.app.RunSocketMode(ctx); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("RunSocketMode = %v, want the invalid_auth error", err)
	}
}
