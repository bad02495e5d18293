package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/slack/slacktest"
)

type refuseAll struct{}

func (refuseAll) Vote(context.Context, dsrflow.Vote) (dsrflow.VoteOutcome, error) {
	return dsrflow.VoteOutcome{Message: "no"}, nil
}

func TestStartSlack(t *testing.T) {
	sl, stop, err := StartSlack(config.Slack{}, dsrflow.Reviewers{}, refuseAll{}, slog.New(slog.DiscardHandler))
	if err != nil || sl != nil || stop(context.Background()) != nil {
		t.Fatalf("without Slack: %v %v", sl, err)
	}

	fake := slacktest.New(t)
	cfg := config.Slack{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fake.URL, ReviewChannel: "C0REVIEW", AlertChannel: "C0REVIEW"}
	sl, stop, err = StartSlack(cfg, dsrflow.Reviewers{}, refuseAll{}, slog.New(slog.DiscardHandler))
	if err != nil || sl == nil {
		t.Fatal(err)
	}
	fake.WaitConnected(t) // Socket Mode runs
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	fake.Until(t, "the socket to close", func() bool { return !fake.Connected() })
}
