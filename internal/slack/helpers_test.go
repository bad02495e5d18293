package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/slack/slacktest"
)

// Demo personas: Slack user ids of the demo workspace.
const (
	legal1   = "U01LEGAL1"
	legal2   = "U01LEGAL2"
	dpo      = "U01DPO"
	outsider = "U09SUPPORT"
	secret   = "test-signing-secret-not-real"
)

var reviewers = dsrflow.Reviewers{Groups: map[string][]string{"legal": {legal1, legal2}, "dpo": {dpo}}}

// disclosureCard is a court-order disclosure awaiting two legal approvals.
func disclosureCard() dsrflow.Card {
	return dsrflow.Card{
		ReviewID: "disclosure-7f3a9c2e",
		Kind:     dsrflow.ReviewDisclosure,
		Title:    "Court-order disclosure: Police Authority (SE), case 2026-0042",
		Fields: []dsrflow.CardField{
			{Label: "Authority", Value: "Police Authority"},
			{Label: "Country", Value: "SE"},
			{Label: "Case reference", Value: "2026-0042"},
			{Label: "Court order", Value: "B 1234-26, Stockholm District Court"},
			{Label: "Categories", Value: "contact, orders"},
			{Label: "Subjects", Value: "1"},
		},
		Link:    "https://dsr.example/requests/disclosure-7f3a9c2e",
		Actions: []dsrflow.VoteAction{dsrflow.VoteApprove, dsrflow.VoteReject, dsrflow.VoteNarrow},
		Scope:   []string{"contact", "orders"},
		State:   "Awaiting two approvals from legal",
	}
}

// disclosureDispatcher plays the disclosure workflow's part: two different members of legal must approve,
// one rejection ends it, outsiders and second votes are refused. It counts each Key once, as the
// workflow must, and records every call.
type disclosureDispatcher struct {
	mu       sync.Mutex
	calls    []dsrflow.Vote
	outcomes map[string]dsrflow.VoteOutcome // by Key
	counted  []dsrflow.Vote
	card     dsrflow.Card
	final    bool
	// hold, when set, blocks each Vote until it is closed: a slow workflow.
	hold chan struct{}
	// fail, when set, is returned by every Vote.
	fail error
}

func newDisclosureDispatcher() *disclosureDispatcher {
	return &disclosureDispatcher{outcomes: map[string]dsrflow.VoteOutcome{}, card: disclosureCard()}
}

func (d *disclosureDispatcher) Vote(ctx context.Context, v dsrflow.Vote) (dsrflow.VoteOutcome, error) {
	if d.hold != nil {
		select {
		case <-d.hold:
		case <-ctx.Done():
			return dsrflow.VoteOutcome{}, ctx.Err()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, v)
	if d.fail != nil {
		return dsrflow.VoteOutcome{}, d.fail
	}
	if o, ok := d.outcomes[v.Key]; ok {
		return o, nil // the same click again: counted once
	}
	o := d.decide(v)
	d.outcomes[v.Key] = o
	return o, nil
}

func (d *disclosureDispatcher) decide(v dsrflow.Vote) dsrflow.VoteOutcome {
	switch {
	case d.final:
		return dsrflow.VoteOutcome{Message: "this review is already decided"}
	case !slices.Contains(v.Groups, "legal"):
		return dsrflow.VoteOutcome{Message: "you are not in the legal group"}
	case slices.ContainsFunc(d.counted, func(c dsrflow.Vote) bool { return c.Reviewer == v.Reviewer }):
		return dsrflow.VoteOutcome{Message: "you have already voted on this disclosure"}
	}
	d.counted = append(d.counted, v)
	switch v.Action {
	case dsrflow.VoteReject:
		d.final = true
		d.card.State = fmt.Sprintf("Rejected by <@%s>", v.Reviewer)
	case dsrflow.VoteApprove, dsrflow.VoteNarrow:
		if len(d.counted) == 2 {
			d.final = true
			d.card.State = fmt.Sprintf("Approved by <@%s> and <@%s>", d.counted[0].Reviewer, d.counted[1].Reviewer)
		} else {
			d.card.State = fmt.Sprintf("Approved by <@%s>; one more legal approval needed", v.Reviewer)
		}
	}
	if d.final {
		d.card.Actions = nil
	}
	c := d.card
	return dsrflow.VoteOutcome{Accepted: true, Card: &c}
}

func (d *disclosureDispatcher) snapshot() (calls, counted []dsrflow.Vote) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls), slices.Clone(d.counted)
}

// env is the Slack app under test against the fake Slack, with its HTTP interactivity endpoint.
type env struct {
	app   *Slack
	fake  *slacktest.Server
	url   string // POST here: the front door's /slack/interactions
	disp  *disclosureDispatcher
	cfg   config.Slack
	close func() // waits for the clicks in flight
}

func newEnv(t *testing.T) *env {
	t.Helper()
	fake := slacktest.New(t)
	d := newDisclosureDispatcher()
	cfg := config.Slack{BotToken: "xoxb-test", AppToken: "xapp-test", SigningSecret: secret, APIURL: fake.URL, ReviewChannel: "C0REVIEW", AlertChannel: "C0ALERT"}
	app, err := New(cfg, reviewers, d, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/interactions", app.Handler())
	front := httptest.NewServer(mux)
	e := &env{app: app, fake: fake, url: front.URL + "/slack/interactions", disp: d, cfg: cfg}
	var once sync.Once
	e.close = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := app.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(func() { front.Close(); e.close() })
	return e
}

// post posts the disclosure card and returns it as the fake holds it.
func (e *env) post(t *testing.T) slacktest.Message {
	t.Helper()
	ref, err := e.app.Post(context.Background(), disclosureCard())
	if err != nil {
		t.Fatal(err)
	}
	m, ok := e.fake.Message(ref.Channel, ref.TS)
	if !ok {
		t.Fatalf("card %+v not in the fake", ref)
	}
	return m
}

// send delivers a payload over HTTP as Slack does and requires 200.
func (e *env) send(t *testing.T, payload []byte, header ...string) *http.Response {
	t.Helper()
	req := slacktest.InteractionRequest(t, e.url, secret, payload, time.Now())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp := slacktest.Do(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("interaction: status %d", resp.StatusCode)
	}
	return resp
}

// blockTypes lists a message's block types.
func blockTypes(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var bs []struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		out = append(out, b.Type)
	}
	return out
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
