package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/slack/slacktest"
)

// Slack's documented example ("Verifying requests from Slack", docs.slack.dev): a slash command's body,
// the example signing secret and the signature Slack computed for them.
const (
	docsSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docsTimestamp = "1531420618"
	docsBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docsSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestVerifySlacksDocumentedExample(t *testing.T) {
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", docsTimestamp)
	h.Set("X-Slack-Signature", docsSignature)
	sec, _ := strconv.ParseInt(docsTimestamp, 10, 64)
	at := time.Unix(sec, 0)

	if err := Verify(h, []byte(docsBody), docsSecret, at.Add(30*time.Second)); err != nil {
		t.Fatalf("Slack's example does not verify: %v", err)
	}
	if got := slacktest.Sign(docsSecret, sec, []byte(docsBody)); got != docsSignature {
		t.Errorf("slacktest.Sign = %s, want Slack's %s", got, docsSignature)
	}
	cases := []struct {
		name   string
		header func(http.Header)
		body   string
		secret string
		now    time.Time
		want   error
	}{
		{name: "body changed", body: strings.Replace(docsBody, "text=", "text=x", 1), want: ErrBadSignature},
		{name: "other secret", secret: "8f742231b10e8888abcd99yyyzzz85a6", want: ErrBadSignature},
		{name: "six minutes later", now: at.Add(6 * time.Minute), want: ErrStale},
		{name: "six minutes early", now: at.Add(-6 * time.Minute), want: ErrStale},
		{name: "timestamp moved", header: func(h http.Header) { h.Set("X-Slack-Request-Timestamp", "1531420619") }, want: ErrBadSignature},
		{name: "no signature", header: func(h http.Header) { h.Del("X-Slack-Signature") }, want: ErrUnsigned},
		{name: "no timestamp", header: func(h http.Header) { h.Del("X-Slack-Request-Timestamp") }, want: ErrUnsigned},
		{name: "v1 prefix", header: func(h http.Header) { h.Set("X-Slack-Signature", "v1="+docsSignature[3:]) }, want: ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hh := h.Clone()
			if c.header != nil {
				c.header(hh)
			}
			body, sec, now := docsBody, docsSecret, at.Add(30*time.Second)
			if c.body != "" {
				body = c.body
			}
			if c.secret != "" {
				sec = c.secret
			}
			if !c.now.IsZero() {
				now = c.now
			}
			if err := Verify(hh, []byte(body), sec, now); !errors.Is(err, c.want) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

// A forged, stale or unsigned request gets 401 and nothing happens: no vote, no Slack call.
func TestForgedOrStaleInteractionsChangeNothing(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	click := e.fake.Click(t, m, legal1, "dsr_approve")
	cases := []struct {
		name string
		req  func() *http.Request
	}{
		{"forged: other secret", func() *http.Request {
			return slacktest.InteractionRequest(t, e.url, "not-the-secret", click, time.Now())
		}},
		{"stale: signed six minutes ago", func() *http.Request {
			return slacktest.InteractionRequest(t, e.url, secret, click, time.Now().Add(-6*time.Minute))
		}},
		{"missing signature", func() *http.Request {
			r := slacktest.InteractionRequest(t, e.url, secret, click, time.Now())
			r.Header.Del("X-Slack-Signature")
			return r
		}},
		{"tampered: a signed click by an outsider replayed as legal", func() *http.Request {
			r := slacktest.InteractionRequest(t, e.url, secret, e.fake.Click(t, m, outsider, "dsr_approve"), time.Now())
			r2 := slacktest.InteractionRequest(t, e.url, secret, click, time.Now())
			r2.Header = r.Header
			return r2
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if resp := slacktest.Do(t, c.req()); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", resp.StatusCode)
			}
		})
	}
	big := slacktest.InteractionRequest(t, e.url, secret, bytes.Repeat([]byte("x"), MaxInteractionBody+1), time.Now())
	if resp := slacktest.Do(t, big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", resp.StatusCode)
	}
	e.close()
	if calls, _ := e.disp.snapshot(); len(calls) != 0 {
		t.Errorf("the dispatcher saw %d votes", len(calls))
	}
	if n := len(e.fake.Calls("")); n != 1 { // the card's chat.postMessage
		t.Errorf("Slack saw %d calls, want only the card's post: %+v", n, e.fake.Calls(""))
	}
}

func TestClickBecomesAVoteAndUpdatesTheCard(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	e.send(t, e.fake.Click(t, m, legal1, "dsr_approve"))
	e.fake.WaitCalls(t, "chat.update", 1)
	calls, _ := e.disp.snapshot()
	if len(calls) != 1 {
		t.Fatalf("votes %+v", calls)
	}
	v := calls[0]
	want := dsrflow.Vote{ReviewID: "disclosure-7f3a9c2e", Kind: dsrflow.ReviewDisclosure, Action: dsrflow.VoteApprove, Reviewer: legal1, Groups: []string{"legal"}, Via: "slack", Key: VoteKey("disclosure-7f3a9c2e", legal1, dsrflow.VoteApprove), Ref: dsrflow.CardRef{Channel: m.Channel, TS: m.TS}}
	if v.ReviewID != want.ReviewID || v.Kind != want.Kind || v.Action != want.Action || v.Reviewer != want.Reviewer || !slices.Equal(v.Groups, want.Groups) || v.Via != want.Via || v.Key != want.Key || v.Ref != want.Ref {
		t.Errorf("vote\n got %+v\nwant %+v", v, want)
	}
	got, _ := e.fake.Message(m.Channel, m.TS)
	if !strings.Contains(got.Content(), "Approved by <@U01LEGAL1>; one more legal approval needed") || !slices.Contains(blockTypes(t, got.Blocks), "actions") {
		t.Errorf("after one approval the card reads:\n%s", got.Content())
	}

	e.send(t, e.fake.Click(t, m, legal2, "dsr_approve"))
	e.fake.WaitCalls(t, "chat.update", 2)
	got, _ = e.fake.Message(m.Channel, m.TS)
	if !strings.Contains(got.Content(), "Approved by <@U01LEGAL1> and <@U01LEGAL2>") || slices.Contains(blockTypes(t, got.Blocks), "actions") {
		t.Errorf("after two approvals the card reads (buttons must be gone):\n%s", got.Blocks)
	}
	if eph := e.fake.Ephemerals(); len(eph) != 0 {
		t.Errorf("accepted votes got ephemeral messages: %+v", eph)
	}
}

// Slack's retries and double clicks count once: the dispatcher sees one Key.
func TestRetriesAndDoubleClicksCountOnce(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	first := e.fake.Click(t, m, legal1, "dsr_approve")
	e.send(t, first)
	e.send(t, first, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout") // Slack's redelivery
	e.send(t, e.fake.Click(t, m, legal1, "dsr_approve"))                               // a double click: a second click
	e.close()

	calls, counted := e.disp.snapshot()
	keys := map[string]int{}
	for _, v := range calls {
		keys[v.Key]++
	}
	if len(keys) != 1 {
		t.Errorf("the dispatcher saw %d keys, want 1: %v", len(keys), keys)
	}
	if len(calls) != 2 {
		t.Errorf("the dispatcher was called %d times, want 2 (the redelivery is dropped, the second click is not)", len(calls))
	}
	if len(counted) != 1 {
		t.Errorf("%d votes counted, want 1", len(counted))
	}
	if eph := e.fake.Ephemerals(); len(eph) != 0 {
		t.Errorf("a double click earned an ephemeral message: %+v", eph)
	}
	if VoteKey("r1", legal1, dsrflow.VoteApprove) == VoteKey("r1", legal2, dsrflow.VoteApprove) || VoteKey("r1", legal1, dsrflow.VoteApprove) == VoteKey("r2", legal1, dsrflow.VoteApprove) || VoteKey("r1", legal1, dsrflow.VoteApprove) == VoteKey("r1", legal1, dsrflow.VoteReject) {
		t.Error("VoteKey does not tell reviews, reviewers or actions apart")
	}
}

func TestOutsiderAndDoubleVoteAreToldEphemerally(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	e.send(t, e.fake.Click(t, m, outsider, "dsr_approve"))
	eph := e.fake.WaitEphemeral(t, 1)
	if eph.User != outsider || eph.Channel != m.Channel || eph.Text != "you are not in the legal group" {
		t.Errorf("outsider told %+v", eph)
	}

	e.send(t, e.fake.Click(t, m, legal1, "dsr_approve"))
	e.fake.WaitCalls(t, "chat.update", 1)
	// The same reviewer now rejects: a second vote, through the modal.
	e.send(t, e.fake.Click(t, m, legal1, "dsr_reject"))
	view := e.fake.WaitView(t, 1)
	e.send(t, e.fake.Submit(t, view, legal1, slacktest.Input{BlockID: "dsr_reason", ActionID: "reason", Value: "changed my mind"}))
	eph = e.fake.WaitEphemeral(t, 2)
	if eph.User != legal1 || eph.Text != "you have already voted on this disclosure" {
		t.Errorf("double vote told %+v", eph)
	}
	e.close()
	if _, counted := e.disp.snapshot(); len(counted) != 1 {
		t.Errorf("%d votes counted, want 1", len(counted))
	}
	if n := len(e.fake.Calls("chat.update")); n != 1 {
		t.Errorf("refused votes updated the card: %d updates", n)
	}
}

func TestRejectWithAReasonThroughTheModal(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	click := e.fake.Click(t, m, legal2, "dsr_reject")
	e.send(t, click)
	view := e.fake.WaitView(t, 1)
	var v struct {
		Type            string `json:"type"`
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(view.View, &v); err != nil || v.Type != "modal" || v.CallbackID != "dsr_vote" {
		t.Fatalf("modal %s: %v", view.View, err)
	}
	var trigger struct {
		TriggerID string `json:"trigger_id"`
	}
	_ = json.Unmarshal(click, &trigger)
	if view.TriggerID != trigger.TriggerID {
		t.Errorf("views.open with trigger %q, want the click's %q", view.TriggerID, trigger.TriggerID)
	}
	if calls, _ := e.disp.snapshot(); len(calls) != 0 {
		t.Fatalf("the click alone cast a vote: %+v", calls)
	}

	// Submitted blank: the modal shows the error and stays open; nothing is cast.
	resp := e.send(t, e.fake.Submit(t, view, legal2, slacktest.Input{BlockID: "dsr_reason", ActionID: "reason", Value: "   "}))
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.ResponseAction != "errors" || answer.Errors["dsr_reason"] == "" {
		t.Errorf("blank reason answered %+v (%v)", answer, err)
	}

	resp = e.send(t, e.fake.Submit(t, view, legal2, slacktest.Input{BlockID: "dsr_reason", ActionID: "reason", Value: "The order does not cover order history."}))
	if b := resp.Body.(interface{ Len() int }); b.Len() != 0 {
		t.Errorf("a valid submission must be acknowledged empty (closing the modal)")
	}
	e.fake.WaitCalls(t, "chat.update", 1)
	calls, _ := e.disp.snapshot()
	if len(calls) != 1 || calls[0].Action != dsrflow.VoteReject || calls[0].Reason != "The order does not cover order history." || calls[0].Reviewer != legal2 || calls[0].Ref != (dsrflow.CardRef{Channel: m.Channel, TS: m.TS}) {
		t.Fatalf("votes %+v", calls)
	}
	got, _ := e.fake.Message(m.Channel, m.TS)
	if !strings.Contains(got.Content(), "Rejected by <@U01LEGAL2>") || slices.Contains(blockTypes(t, got.Blocks), "actions") {
		t.Errorf("rejected card:\n%s", got.Blocks)
	}
}

func TestNarrowScopeThroughTheModal(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	e.send(t, e.fake.Click(t, m, legal1, "dsr_narrow"))
	view := e.fake.WaitView(t, 1)
	if !contains(string(view.View), `"contact"`, `"orders"`, "checkboxes") {
		t.Errorf("the narrowing modal does not offer the card's categories: %s", view.View)
	}
	e.send(t, e.fake.Submit(t, view, legal1, slacktest.Input{BlockID: "dsr_scope", ActionID: "scope", Selected: []string{"contact"}}))
	e.fake.WaitCalls(t, "chat.update", 1)
	calls, _ := e.disp.snapshot()
	if len(calls) != 1 || calls[0].Action != dsrflow.VoteNarrow || !slices.Equal(calls[0].Scope, []string{"contact"}) || calls[0].Reason != "" {
		t.Errorf("votes %+v", calls)
	}
}

func TestDispatcherErrorsDoNotLeak(t *testing.T) {
	e := newEnv(t)
	m := e.post(t)
	e.disp.fail = errors.New("temporal: workflow dsr-internal-xyz: connection refused 10.0.0.7:7233")
	e.send(t, e.fake.Click(t, m, legal1, "dsr_approve"))
	eph := e.fake.WaitEphemeral(t, 1)
	if eph.Text != "Could not record your decision, try again." || eph.User != legal1 {
		t.Errorf("told %+v", eph)
	}
	e.disp.mu.Lock()
	e.disp.fail = dsrflow.Errorf(dsrflow.ENOTFOUND, "no review disclosure-7f3a9c2e")
	e.disp.mu.Unlock()
	e.send(t, e.fake.Click(t, m, legal2, "dsr_approve"))
	if eph := e.fake.WaitEphemeral(t, 2); eph.Text != "This review is closed or no longer exists." {
		t.Errorf("told %+v", eph)
	}
	if n := len(e.fake.Calls("chat.update")); n != 0 {
		t.Errorf("the card changed without a vote: %d updates", n)
	}
}

// The acknowledgement does not wait for a slow workflow.
func TestSlowWorkflowIsAcknowledgedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.disp.hold = make(chan struct{})
	m := e.post(t)
	start := time.Now()
	e.send(t, e.fake.Click(t, m, legal1, "dsr_approve"))
	if d := time.Since(start); d > time.Second {
		t.Errorf("acknowledged after %s", d)
	}
	close(e.disp.hold)
	e.fake.WaitCalls(t, "chat.update", 1)
}

func TestForeignButtonsAndPayloadsAreIgnored(t *testing.T) {
	e := newEnv(t)
	e.send(t, []byte(`{"type":"block_actions","user":{"id":"U01LEGAL1"},"actions":[{"action_id":"other_app","value":"x","action_ts":"1.1"}]}`))
	e.send(t, []byte(`{"type":"view_closed","user":{"id":"U01LEGAL1"},"view":{"callback_id":"dsr_vote"}}`))
	e.send(t, []byte(`{"type":"block_actions","user":{"id":"U01LEGAL1"},"actions":[{"action_id":"dsr_approve","value":"not json","action_ts":"1.2"}]}`))
	req := slacktest.InteractionRequest(t, e.url, secret, nil, time.Now())
	if resp := slacktest.Do(t, req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty payload: status %d", resp.StatusCode)
	}
	e.close()
	if calls, _ := e.disp.snapshot(); len(calls) != 0 {
		t.Errorf("votes %+v", calls)
	}
}
