package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Review shows reviews' cards and alerts to people through a Notifier (Slack, when configured). Without
// one, reviews still work through the API and `starter`: the activities audit that nothing was shown.
type Review struct {
	// Notifier is nil when no notifier is configured.
	Notifier dsrflow.Notifier
	Store    *store.Store
}

// PostCard posts the card; without a Notifier it audits that and returns an empty CardRef. Notifier
// errors are retried: an outage delays the card, it never loses it.
func (a *Review) PostCard(ctx context.Context, in PostCardInput) (dsrflow.CardRef, error) {
	if a.Notifier == nil {
		return dsrflow.CardRef{}, a.notShown(ctx, in.RequestID, "card_not_posted", string(in.Card.Kind))
	}
	ref, err := a.Notifier.Post(ctx, in.Card)
	if err != nil {
		return dsrflow.CardRef{}, fmt.Errorf("post %s card for %s: %w", in.Card.Kind, in.RequestID, err)
	}
	return ref, nil
}

// UpdateCard updates a posted card; a card never posted (empty ref) has nothing to update.
func (a *Review) UpdateCard(ctx context.Context, in UpdateCardInput) error {
	if a.Notifier == nil || in.Ref == (dsrflow.CardRef{}) {
		return nil
	}
	if err := a.Notifier.Update(ctx, in.Ref, in.Card); err != nil {
		return fmt.Errorf("update %s card for %s: %w", in.Card.Kind, in.RequestID, err)
	}
	return nil
}

// SendAlert sends an alert to the alert channel; without a Notifier it audits that it could not.
func (a *Review) SendAlert(ctx context.Context, in AlertInput) error {
	if a.Notifier == nil {
		return a.notShown(ctx, in.RequestID, "alert_not_sent", in.Alert.Severity)
	}
	if err := a.Notifier.Alert(ctx, in.Alert); err != nil {
		return fmt.Errorf("alert for %s: %w", in.RequestID, err)
	}
	return nil
}

func (a *Review) notShown(ctx context.Context, requestID, action, what string) error {
	st := &Store{Store: a.Store}
	_, err := st.AppendAudit(ctx, store.AuditEvent{
		At: now(), RequestID: requestID, Action: action, Actor: "system",
		Detail: map[string]string{"kind": what, "notifier": "not configured"},
	})
	return err
}

func now() time.Time { return time.Now().UTC() }

// WorkingDaysLater computes a reminder's time from the holiday tables (internal/deadline). The workflow
// runs it as a local activity, so the answer is recorded and a table change never alters a running
// workflow. A country without tables counts calendar days.
func (a *Review) WorkingDaysLater(ctx context.Context, in WorkingDaysInput) (time.Time, error) {
	at, err := deadline.AddWorkingDays(in.From, in.Days, in.Country)
	if err != nil {
		return in.From.Add(time.Duration(in.Days) * 24 * time.Hour), nil
	}
	return at.UTC(), nil
}
