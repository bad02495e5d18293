package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/slack"
)

// StartSlack builds the Slack app, or returns nil when Slack is not configured. With an app token and a
// dispatcher it also takes clicks over Socket Mode until stop runs; stop then waits, until its context
// ends, for the clicks in flight. The worker passes a nil dispatcher: it only posts.
func StartSlack(cfg config.Slack, reviewers dsrflow.Reviewers, d dsrflow.Dispatcher, logger *slog.Logger) (_ *slack.Slack, stop func(context.Context) error, _ error) {
	if !cfg.Enabled() {
		return nil, func(context.Context) error { return nil }, nil
	}
	sl, err := slack.New(cfg, reviewers, d, logger)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if cfg.AppToken != "" && d != nil {
		go func() {
			defer close(done)
			// Connection failures are retried inside; what returns is fatal, such as a revoked token.
			if err := sl.RunSocketMode(ctx); err != nil {
				logger.Error("slack: Socket Mode stopped; clicks arrive only over HTTP now, if configured", "error", err)
			}
		}()
	} else {
		close(done)
	}
	return sl, func(ctx context.Context) error {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		return sl.Close(ctx)
	}, nil
}

// slackNotifier is sl's notifier, or nil (no notifier) when Slack is not configured.
func slackNotifier(sl *slack.Slack) dsrflow.Notifier {
	if sl == nil {
		return nil
	}
	return sl.Notifier()
}

// slackHandler is sl's interactions endpoint, or nil when Slack is not configured.
func slackHandler(sl *slack.Slack) http.Handler {
	if sl == nil {
		return nil
	}
	return sl.Handler()
}

// SlackParts are what the dev stack needs of Slack: the notifier for the worker, the interactions
// endpoint for the front door; both nil when Slack is not configured.
func SlackParts(sl *slack.Slack) (dsrflow.Notifier, http.Handler) {
	return slackNotifier(sl), slackHandler(sl)
}
