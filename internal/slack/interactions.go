package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/slack-go/slack"

	"github.com/dsrflow/dsrflow"
)

// Answers to reviewers, safe to show: they name no internals.
const (
	msgTryAgain   = "Could not record your decision, try again."
	msgClosed     = "This review is closed or no longer exists."
	msgRefused    = "Your decision was not accepted."
	msgNoForm     = "Could not open the form, try again."
	msgNoCategory = "This card offers no categories to narrow to."
)

var errClosing = errors.New("slack: shutting down")

// VoteKey is the de-duplication key of a Slack vote: one person's one action on one review. Slack's
// retries of a delivery and a double click (two clicks, two action_ts) carry the same key, so they count
// once; a person's different action (reject after approve) is a different vote, for the workflow to refuse.
func VoteKey(reviewID, user string, action dsrflow.VoteAction) string {
	h := sha256.Sum256([]byte(reviewID + "\x00" + user + "\x00" + string(action)))
	return "slack:" + hex.EncodeToString(h[:16])
}

// accept takes one interaction and returns the acknowledgement's payload (nil for none): a modal's
// validation errors, which Slack shows in the modal. What takes time (opening a modal, the vote, the
// answer) runs after the acknowledgement, so Slack hears back well within its 3 seconds however slow
// the workflow is; the reviewer learns the outcome from the card's update or an ephemeral message.
// retry is Slack's redelivery count (X-Slack-Retry-Num, or the envelope's retry_attempt).
func (s *Slack) accept(ic slack.InteractionCallback, retry int) (any, error) {
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		return nil, s.acceptClick(ic, retry)
	case slack.InteractionTypeViewSubmission:
		return s.acceptSubmission(ic, retry)
	}
	return nil, nil // view_closed, shortcuts...: nothing to do
}

func (s *Slack) acceptClick(ic slack.InteractionCallback, retry int) error {
	if len(ic.ActionCallback.BlockActions) == 0 || ic.User.ID == "" {
		return nil
	}
	a := ic.ActionCallback.BlockActions[0]
	name, ok := strings.CutPrefix(a.ActionID, actionPrefix)
	action := dsrflow.VoteAction(name)
	if _, known := labels[action]; !ok || !known {
		return nil // not a dsrflow button
	}
	var bv buttonValue
	if err := json.Unmarshal([]byte(a.Value), &bv); err != nil || bv.ReviewID == "" {
		s.log.Warn("slack: a vote button without a review", "action", name)
		return nil
	}
	user := ic.User.ID
	// A click is identified by its action_ts: a redelivery repeats it, a second click does not.
	if !s.deliveries.first("click\x00"+a.ActionTs+"\x00"+user+"\x00"+a.ActionID+"\x00"+bv.ReviewID, s.now()) {
		s.log.Info("slack: repeated delivery ignored", "review", bv.ReviewID, "action", name, "retry", retry)
		return nil
	}
	ref := dsrflow.CardRef{Channel: ic.Container.ChannelID, TS: ic.Container.MessageTs}
	if ref.Channel == "" {
		ref.Channel = ic.Channel.ID
	}
	if ref.TS == "" {
		ref.TS = ic.Message.Timestamp
	}
	if opensModal(bv.Kind, action) {
		md := modalMetadata{ReviewID: bv.ReviewID, Kind: bv.Kind, Action: action, Channel: ref.Channel, TS: ref.TS}
		if !s.goAsync(func(ctx context.Context) { s.openModal(ctx, ic.TriggerID, user, md, bv.Scope) }) {
			return errClosing
		}
		return nil
	}
	v := s.vote(bv.ReviewID, bv.Kind, action, user, ref)
	if !s.goAsync(func(ctx context.Context) { s.cast(ctx, v) }) {
		return errClosing
	}
	return nil
}

func (s *Slack) acceptSubmission(ic slack.InteractionCallback, retry int) (any, error) {
	if ic.View.CallbackID != callbackVote || ic.User.ID == "" {
		return nil, nil
	}
	var md modalMetadata
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &md); err != nil || md.ReviewID == "" {
		s.log.Warn("slack: a vote form without a review")
		return nil, nil
	}
	var reason string
	var scope []string
	if ic.View.State != nil {
		reason = strings.TrimSpace(ic.View.State.Values[ReasonBlockID][ReasonActionID].Value)
		for _, o := range ic.View.State.Values[ScopeBlockID][ScopeActionID].SelectedOptions {
			scope = append(scope, o.Value)
		}
	}
	switch {
	case md.Kind.NeedsReason(md.Action) && reason == "":
		return slack.NewErrorsViewSubmissionResponse(map[string]string{ReasonBlockID: "Give a reason."}), nil
	case md.Action == dsrflow.VoteNarrow && len(scope) == 0:
		return slack.NewErrorsViewSubmissionResponse(map[string]string{ScopeBlockID: "Keep at least one category, or reject."}), nil
	}
	user := ic.User.ID
	if !s.deliveries.first("submit\x00"+ic.View.ID+"\x00"+ic.View.Hash+"\x00"+user, s.now()) {
		s.log.Info("slack: repeated delivery ignored", "review", md.ReviewID, "action", md.Action, "retry", retry)
		return nil, nil
	}
	v := s.vote(md.ReviewID, md.Kind, md.Action, user, dsrflow.CardRef{Channel: md.Channel, TS: md.TS})
	v.Reason, v.Scope = reason, scope
	if !s.goAsync(func(ctx context.Context) { s.cast(ctx, v) }) {
		return nil, errClosing
	}
	return nil, nil // an empty acknowledgement closes the modal
}

func (s *Slack) vote(reviewID string, kind dsrflow.ReviewKind, action dsrflow.VoteAction, user string, ref dsrflow.CardRef) dsrflow.Vote {
	return dsrflow.Vote{
		ReviewID: reviewID,
		Kind:     kind,
		Action:   action,
		Reviewer: user,
		Groups:   s.reviewers.GroupsOf(user),
		Person:   s.reviewers.PersonOf(user),
		Via:      "slack",
		Key:      VoteKey(reviewID, user, action),
		Ref:      ref,
	}
}

// cast hands a vote to the dispatcher and tells the reviewer what became of it: the card updated when
// it was counted, an ephemeral message when it was refused or could not be recorded.
func (s *Slack) cast(ctx context.Context, v dsrflow.Vote) {
	log := s.log.With("review", v.ReviewID, "action", v.Action)
	out, err := s.dispatcher.Vote(ctx, v)
	if err != nil {
		code := dsrflow.ErrorCode(err)
		log.Warn("slack: vote not recorded", "code", code, "error", err)
		msg := msgTryAgain
		if code == dsrflow.ENOTFOUND {
			msg = msgClosed
		}
		s.ephemeral(ctx, v.Ref.Channel, v.Reviewer, msg)
		return
	}
	if !out.Accepted {
		log.Info("slack: vote refused")
		msg := out.Message
		if msg == "" {
			msg = msgRefused
		}
		s.ephemeral(ctx, v.Ref.Channel, v.Reviewer, safe(msg))
		return
	}
	log.Info("slack: vote recorded")
	if out.Card == nil || v.Ref.TS == "" {
		return
	}
	if err := s.Update(ctx, v.Ref, *out.Card); err != nil {
		// The vote counts; the card catches up with the workflow's next update.
		log.Warn("slack: card not updated after a vote", "error", err)
	}
}

// openModal asks for a reason or a scope. The trigger expires 3 seconds after the click.
func (s *Slack) openModal(ctx context.Context, trigger, user string, md modalMetadata, scope []string) {
	if md.Action == dsrflow.VoteNarrow && len(scope) == 0 {
		s.ephemeral(ctx, md.Channel, user, msgNoCategory)
		return
	}
	view, err := voteModal(md, scope)
	if err == nil {
		err = s.call(ctx, "views.open", func(ctx context.Context) error {
			_, err := s.api.OpenViewContext(ctx, trigger, view)
			return err
		})
	}
	if err != nil {
		s.log.Warn("slack: cannot open a vote form", "review", md.ReviewID, "action", md.Action, "error", err)
		s.ephemeral(ctx, md.Channel, user, msgNoForm)
	}
}
