package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode takes interactions over Socket Mode until ctx ends, then returns nil. Each envelope is
// acknowledged at once (with a modal's validation errors when there are any); the vote is handled
// afterwards, as over HTTP. It returns an error when Slack refuses the app token or cannot be reached
// for good.
func (s *Slack) RunSocketMode(ctx context.Context) error {
	if s.cfg.AppToken == "" {
		return errors.New("slack: Socket Mode needs SLACK_APP_TOKEN")
	}
	if s.dispatcher == nil {
		return errors.New("slack: Socket Mode needs a dispatcher for the votes")
	}
	api := slack.New(s.cfg.BotToken, append(s.apiOptions(), slack.OptionAppLevelToken(s.cfg.AppToken))...)
	sm := socketmode.New(api, socketmode.OptionLog(log.New(io.Discard, "", 0)))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case ev := <-sm.Events:
			s.socketEvent(ctx, sm, ev)
		}
	}
}

func (s *Slack) socketEvent(ctx context.Context, sm *socketmode.Client, ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeConnected:
		s.log.Info("slack: socket mode connected")
	case socketmode.EventTypeConnectionError:
		s.log.Warn("slack: socket mode connection failed, retrying")
	case socketmode.EventTypeInvalidAuth:
		s.log.Error("slack: socket mode refused the app token")
	case socketmode.EventTypeInteractive:
		ic, ok := ev.Data.(slack.InteractionCallback)
		if !ok || ev.Request == nil {
			return
		}
		answer, err := s.accept(ic, ev.Request.RetryAttempt)
		if err != nil {
			return // closing: no ack, so Slack delivers the envelope again, to another connection
		}
		s.ack(ctx, sm, ev.Request.EnvelopeID, answer)
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand:
		// Not subscribed to; acknowledged so that Slack does not redeliver.
		if ev.Request != nil {
			s.ack(ctx, sm, ev.Request.EnvelopeID, nil)
		}
	}
}

func (s *Slack) ack(ctx context.Context, sm *socketmode.Client, envelope string, payload any) {
	if err := sm.AckCtx(ctx, envelope, payload); err != nil {
		s.log.Warn("slack: cannot acknowledge an envelope", "error", err)
	}
}
