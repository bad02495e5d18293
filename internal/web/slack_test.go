package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/slack"
	"github.com/dsrflow/dsrflow/internal/slack/slacktest"
)

type countingDispatcher struct {
	mu    sync.Mutex
	votes []dsrflow.Vote
}

func (d *countingDispatcher) Vote(_ context.Context, v dsrflow.Vote) (dsrflow.VoteOutcome, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.votes = append(d.votes, v)
	return dsrflow.VoteOutcome{Accepted: true}, nil
}

// The front door serves Slack's interactivity at /slack/interactions, outside token authentication:
// Slack's signature is the credential.
func TestSlackInteractionsRoute(t *testing.T) {
	const signing = "web-test-signing-secret"
	fake := slacktest.New(t)
	d := &countingDispatcher{}
	app, err := slack.New(config.Slack{BotToken: "xoxb-test", SigningSecret: signing, APIURL: fake.URL, ReviewChannel: "C0REVIEW"}, dsrflow.Reviewers{}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(NewServer(Deps{Slack: app.Handler()}))
	defer front.Close()
	ref, err := app.Post(context.Background(), dsrflow.Card{ReviewID: "disc-1", Kind: dsrflow.ReviewDisclosure, Title: "Disclosure", Actions: []dsrflow.VoteAction{dsrflow.VoteApprove}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := fake.Message(ref.Channel, ref.TS)
	click := fake.Click(t, m, "U01DPO", "dsr_approve")

	if resp := slacktest.Do(t, slacktest.InteractionRequest(t, front.URL+"/slack/interactions", "forged", click, time.Now())); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged: status %d, want 401", resp.StatusCode)
	}
	if resp := slacktest.PostInteraction(t, front.URL+"/slack/interactions", signing, click); resp.StatusCode != http.StatusOK {
		t.Errorf("signed: status %d, want 200", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := app.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(d.votes) != 1 || d.votes[0].ReviewID != "disc-1" || d.votes[0].Reviewer != "U01DPO" {
		t.Errorf("votes %+v", d.votes)
	}

	bare := httptest.NewServer(NewServer(Deps{}))
	defer bare.Close()
	if resp := slacktest.PostInteraction(t, bare.URL+"/slack/interactions", signing, click); resp.StatusCode != http.StatusNotFound {
		t.Errorf("without Slack: status %d, want 404", resp.StatusCode)
	}
}
