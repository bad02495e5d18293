package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/store"
)

// liftNoticeID is the outbox id of a request's lift notice: fixed, so a retried activity queues it once.
func liftNoticeID(requestID string) string { return requestID + ":restriction_lift_notice" }

// LiftNotice queues the message telling the subject that the restriction of request in.RequestID is about
// to be lifted, and why (GDPR Art. 18(3)).
func (a *Answer) LiftNotice(ctx context.Context, in act.LiftNoticeInput) error {
	if in.To == "" {
		return nil
	}
	// The notice is in the subject's language and names the authority of their residence, as recorded
	// on the request (a request from before they were recorded: English, the handling entity's country).
	residence, language := in.Country, ""
	switch req, err := a.Store.GetRequest(ctx, in.RequestID); {
	case err == nil:
		language = req.Language
		if req.Residence != "" {
			residence = req.Residence
		}
	case dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND:
		return fmt.Errorf("read request %s for its lift notice: %w", in.RequestID, err)
	}
	msg := answer.LiftNotice(a.Controller, in.RequestID, residence, language, in.Reason)
	_, err := a.Store.EnqueueMessage(ctx, store.Message{
		ID: liftNoticeID(in.RequestID), RequestID: in.RequestID, Kind: "restriction_lift_notice", To: in.To,
		Subject: msg.Subject, Body: msg.Text, CreatedAt: a.now(),
	})
	if err != nil {
		return fmt.Errorf("queue lift notice for %s: %w", in.RequestID, err)
	}
	return nil
}

// errNoticePending is NoticeSent's error while the notice waits in the outbox: the workflow retries.
var errNoticePending = errors.New("the lift notice is not sent yet")

// NoticeSent returns nil once the outbox has sent the lift notice, and an error (retried) before.
func (a *Answer) NoticeSent(ctx context.Context, in act.LiftNoticeInput) error {
	if in.To == "" {
		return nil
	}
	msgs, err := a.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: in.RequestID, Limit: 1000})
	if err != nil {
		return fmt.Errorf("read the outbox of %s: %w", in.RequestID, err)
	}
	for _, m := range msgs {
		if m.ID == liftNoticeID(in.RequestID) {
			if m.SentAt != nil || !a.AwaitDelivery {
				return nil
			}
			return errNoticePending
		}
	}
	return fmt.Errorf("lift notice of %s: %w", in.RequestID, errors.Join(errNoticePending, errors.New("not in the outbox")))
}

func (a *Answer) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}
