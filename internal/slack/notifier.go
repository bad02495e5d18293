package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/dsrflow/dsrflow"
)

// Post shows a card in its channel, or the review channel, and returns where it is.
func (s *Slack) Post(ctx context.Context, c dsrflow.Card) (dsrflow.CardRef, error) {
	blocks, text, err := cardBlocks(c)
	if err != nil {
		return dsrflow.CardRef{}, err
	}
	channel := c.Channel
	if channel == "" {
		channel = s.cfg.ReviewChannel
	}
	var ref dsrflow.CardRef
	err = s.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		ch, ts, err := s.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, true), slack.MsgOptionBlocks(blocks...))
		ref = dsrflow.CardRef{Channel: ch, TS: ts}
		return err
	})
	if err != nil {
		return dsrflow.CardRef{}, fmt.Errorf("post card %s: %w", c.ReviewID, err)
	}
	return ref, nil
}

// Update replaces a posted card: the state line changes, and the buttons go when c.Actions is empty.
func (s *Slack) Update(ctx context.Context, ref dsrflow.CardRef, c dsrflow.Card) error {
	blocks, text, err := cardBlocks(c)
	if err != nil {
		return err
	}
	err = s.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, slack.MsgOptionText(text, true), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		return fmt.Errorf("update card %s: %w", c.ReviewID, err)
	}
	return nil
}

// Alert posts to the alert channel.
func (s *Slack) Alert(ctx context.Context, a dsrflow.Alert) error {
	blocks, text := alertBlocks(a)
	return s.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		_, _, err := s.api.PostMessageContext(ctx, s.cfg.AlertChannel, slack.MsgOptionText(text, true), slack.MsgOptionBlocks(blocks...))
		return err
	})
}

// ephemeral shows text to one user in a channel.
func (s *Slack) ephemeral(ctx context.Context, channel, user, text string) {
	err := s.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := s.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, true))
		return err
	})
	if err != nil {
		s.log.Warn("slack: cannot answer a reviewer", "error", err)
	}
}
