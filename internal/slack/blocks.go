package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/logsafe"
)

// Identifiers in the Block Kit dsrflow posts. A click carries the action_id and the button's value; a
// modal submission carries the callback_id, the private_metadata and the input blocks' values. Tests
// that play a reviewer use them with slacktest: Click(t, msg, user, ActionID(dsrflow.VoteApprove)),
// Submit(t, view, user, slacktest.Input{BlockID: ReasonBlockID, ActionID: ReasonActionID, Value: "..."}).
const (
	actionPrefix   = "dsr_" // action_id of a vote button: dsr_<VoteAction>
	actionsBlockID = "dsr_actions"
	callbackVote   = "dsr_vote" // the modal asking for a reason or a scope

	ReasonBlockID  = "dsr_reason" // the modal's reason input
	ReasonActionID = "reason"
	ScopeBlockID   = "dsr_scope" // the narrowing modal's categories (checkboxes, or a multi-select beyond ten)
	ScopeActionID  = "scope"
)

// ActionID is the action_id of the button for a vote action.
func ActionID(a dsrflow.VoteAction) string { return actionPrefix + string(a) }

// buttonValue is a button's value: which review, never who it is about. Scope (the categories, not data)
// rides on the narrow button so that its modal can offer them.
type buttonValue struct {
	ReviewID string             `json:"review"`
	Kind     dsrflow.ReviewKind `json:"kind"`
	Scope    []string           `json:"scope,omitempty"`
}

// modalMetadata is a vote modal's private_metadata: the click it completes.
type modalMetadata struct {
	ReviewID string             `json:"review"`
	Kind     dsrflow.ReviewKind `json:"kind"`
	Action   dsrflow.VoteAction `json:"action"`
	Channel  string             `json:"channel"`
	TS       string             `json:"ts"`
}

var labels = map[dsrflow.VoteAction]string{
	dsrflow.VoteApprove:      "Approve",
	dsrflow.VoteReject:       "Reject…",
	dsrflow.VoteNarrow:       "Narrow scope…",
	dsrflow.VoteDone:         "Done",
	dsrflow.VoteNothingFound: "Nothing found",
	dsrflow.VoteCannot:       "Cannot…",
}

// opensModal reports whether a click on the action asks for more (a reason, a scope) before it is a vote.
func opensModal(k dsrflow.ReviewKind, a dsrflow.VoteAction) bool {
	return k.NeedsReason(a) || a == dsrflow.VoteNarrow
}

// safe masks email addresses and phone numbers: a card names the case, never the subject, and this is
// the last guard should a caller forget.
func safe(s string) string { return logsafe.MaskText(s, false) }

// escape makes text literal in mrkdwn.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// clip shortens s to at most n characters, as Slack's limits count them.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// cardBlocks renders a card: its title, its fields, the link to the front door, the state line and one
// button per action. The second result is the notification text.
func cardBlocks(c dsrflow.Card) ([]slack.Block, string, error) {
	title := clip(safe(c.Title), 150)
	blocks := []slack.Block{slack.NewHeaderBlock(plain(title))}
	var fields []*slack.TextBlockObject
	for _, f := range c.Fields {
		fields = append(fields, mrkdwn(clip(fmt.Sprintf("*%s*\n%s", escape(safe(f.Label)), escape(safe(f.Value))), 2000)))
	}
	for i := 0; i < len(fields); i += 10 { // at most ten fields a section
		blocks = append(blocks, slack.NewSectionBlock(nil, fields[i:min(i+10, len(fields))], nil, slack.SectionBlockOptionBlockID(fmt.Sprintf("dsr_fields_%d", i/10))))
	}
	if c.Link != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(fmt.Sprintf("<%s|Open in dsrflow>", escape(c.Link))), nil, nil, slack.SectionBlockOptionBlockID("dsr_link")))
	}
	if c.State != "" {
		// The state is the workflow's own text and may mention reviewers (<@U01...>): not escaped.
		blocks = append(blocks, slack.NewContextBlock("dsr_state", mrkdwn(clip(safe(c.State), 3000))))
	}
	if len(c.Actions) > 0 {
		var buttons []slack.BlockElement
		for _, a := range c.Actions {
			label, ok := labels[a]
			if !ok {
				return nil, "", fmt.Errorf("card %s: unknown action %q", c.ReviewID, a)
			}
			v := buttonValue{ReviewID: c.ReviewID, Kind: c.Kind}
			if a == dsrflow.VoteNarrow {
				v.Scope = c.Scope
			}
			value, err := json.Marshal(v)
			if err != nil {
				return nil, "", err
			}
			b := slack.NewButtonBlockElement(ActionID(a), string(value), plain(label))
			switch a {
			case dsrflow.VoteApprove, dsrflow.VoteDone:
				b.WithStyle(slack.StylePrimary)
			case dsrflow.VoteReject, dsrflow.VoteCannot:
				b.WithStyle(slack.StyleDanger)
			}
			buttons = append(buttons, b)
		}
		blocks = append(blocks, slack.NewActionBlock(actionsBlockID, buttons...))
	}
	text := title
	if c.State != "" {
		text += " — " + safe(c.State)
	}
	return blocks, text, nil
}

var severityIcons = map[string]string{"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}

// alertBlocks renders an alert.
func alertBlocks(a dsrflow.Alert) ([]slack.Block, string) {
	icon, ok := severityIcons[a.Severity]
	if !ok {
		icon = severityIcons["warning"]
	}
	title := clip(safe(a.Title), 200)
	text := fmt.Sprintf("%s *%s*", icon, escape(title))
	if a.Text != "" {
		text += "\n" + escape(safe(a.Text))
	}
	if a.Link != "" {
		text += fmt.Sprintf("\n<%s|Open in dsrflow>", escape(a.Link))
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(clip(text, 3000)), nil, nil, slack.SectionBlockOptionBlockID("dsr_alert"))}, title
}

// voteModal asks for what a vote needs before it is cast: a reason (reject, cannot) or the categories kept
// (narrow, with an optional reason).
func voteModal(md modalMetadata, scope []string) (slack.ModalViewRequest, error) {
	meta, err := json.Marshal(md)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	title := map[dsrflow.VoteAction]string{dsrflow.VoteReject: "Reject", dsrflow.VoteCannot: "Cannot do", dsrflow.VoteNarrow: "Narrow scope"}[md.Action]
	var blocks []slack.Block
	if md.Action == dsrflow.VoteNarrow {
		var opts []*slack.OptionBlockObject
		for _, c := range scope {
			opts = append(opts, slack.NewOptionBlockObject(c, plain(clip(c, 75)), nil))
		}
		var el slack.BlockElement
		if len(opts) <= 10 {
			el = slack.NewCheckboxGroupsBlockElement(ScopeActionID, opts...)
		} else {
			el = slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Categories"), ScopeActionID, opts...)
		}
		blocks = append(blocks, slack.NewInputBlock(ScopeBlockID, plain("Categories to disclose"), nil, el))
	}
	reason := slack.NewPlainTextInputBlockElement(plain("Why?"), ReasonActionID)
	reason.Multiline, reason.MaxLength = true, 1000
	in := slack.NewInputBlock(ReasonBlockID, plain("Reason"), plain("Recorded in the audit log. Do not include the subject's personal data."), reason)
	in.Optional = !md.Kind.NeedsReason(md.Action)
	blocks = append(blocks, in)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(title),
		Submit:          plain("Submit"),
		Close:           plain("Cancel"),
		CallbackID:      callbackVote,
		PrivateMetadata: string(meta),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}, nil
}
