package dsrflow

import (
	"context"
	"slices"
	"strings"
)

// A review is a step that waits for a person: a reviewer's decision (an authority disclosure, an
// objection) or a team's manual task for a connector of kind manual. The workflow that waits posts a Card
// through a Notifier (Slack when configured) and receives Votes through a Dispatcher, whichever way the
// person answered: a Slack button, the API, the CLI or the console. Cards and votes carry no personal data.

// ReviewKind says what a review decides.
type ReviewKind string

const (
	ReviewDisclosure ReviewKind = "disclosure" // an authority's request for data, under a court order
	ReviewObjection  ReviewKind = "objection"  // Art. 21(1): compelling legitimate grounds?
	ReviewTask       ReviewKind = "task"       // a manual connector's job, done by a team by hand
)

// VoteAction is what a person chose.
type VoteAction string

const (
	VoteApprove      VoteAction = "approve"
	VoteReject       VoteAction = "reject" // needs a reason
	VoteNarrow       VoteAction = "narrow" // approve a smaller set of categories (Vote.Scope)
	VoteDone         VoteAction = "done"
	VoteNothingFound VoteAction = "nothing_found"
	VoteCannot       VoteAction = "cannot" // needs a reason
)

// NeedsReason reports whether the action must come with a reason.
func (a VoteAction) NeedsReason() bool { return a == VoteReject || a == VoteCannot }

// NeedsReason reports whether a vote of action a on a review of this kind must come with a reason: a
// rejection or "cannot" always, and an objection's decision either way, because the subject is told why.
func (k ReviewKind) NeedsReason(a VoteAction) bool { return a.NeedsReason() || k == ReviewObjection }

// Card is what a reviewer or a team sees of a review. It names the case, never the subject: Fields hold
// case references, categories and counts; Link leads to the front door, where an authenticated person
// sees the rest.
type Card struct {
	// ReviewID identifies the review: the workflow id, or "<workflow id>.<connector>" for a task
	// (".s<N>" more for a disclosure's N-th subject); the Dispatcher finds the workflow from it.
	ReviewID string
	Kind     ReviewKind
	Title    string
	Fields   []CardField
	Link     string
	// Actions offered; empty when the review is final (the buttons go).
	Actions []VoteAction
	// Scope lists the categories a narrowing vote may keep (disclosures).
	Scope []string
	// State says who decided what so far and what is awaited, e.g. "Approved by <@U01>; one more legal
	// approval needed".
	State string
	// Channel to post in; empty means the review channel.
	Channel string
}

// CardField is one labelled line of a card.
type CardField struct{ Label, Value string }

// CardRef identifies a posted card so that it can be updated.
type CardRef struct{ Channel, TS string }

// Alert is a message to the alert channel: reminders, overdue escalations, permanent connector failures.
type Alert struct {
	Severity string // info | warning | critical
	Title    string
	Text     string
	Link     string
}

// Notifier shows cards and alerts to people. Errors are worth retrying: a Slack outage delays messages,
// it never loses a decision.
type Notifier interface {
	Post(ctx context.Context, c Card) (CardRef, error)
	Update(ctx context.Context, ref CardRef, c Card) error
	Alert(ctx context.Context, a Alert) error
}

// Vote is one person's answer to a review.
type Vote struct {
	ReviewID string
	Kind     ReviewKind
	Action   VoteAction
	Reason   string
	Scope    []string // VoteNarrow: the categories kept
	// Reviewer is a Slack user id or an API token's name; Groups are the reviewer groups it belongs to
	// (Reviewers.GroupsOf), resolved by the front door before the vote reaches the workflow.
	Reviewer string
	Groups   []string
	// Person is who the reviewer is, whatever name they used (Reviewers.PersonOf): a disclosure counts
	// one approval per person. Empty in votes from before it existed: the Reviewer is the person then.
	Person string
	Via    string // slack | api
	// Key de-duplicates: Slack's retries and double clicks carry the same key and count once.
	Key string
	// Ref is the card the vote was cast on, when it came from Slack.
	Ref CardRef
	// Records and RecordsRef go with a manual access task answered done with the records the team found
	// (TaskAnswer.Records): how many, and the key the front door stored them under, encrypted, in the
	// store. The records themselves never travel through Temporal: the workflow files them under the
	// task's job when it accepts the answer.
	Records    int    `json:",omitempty"`
	RecordsRef string `json:",omitempty"`
}

// VoteOutcome is the workflow's answer to a vote.
type VoteOutcome struct {
	Accepted bool
	// Message explains a refused vote to the voter (shown ephemerally in Slack), e.g. "you are not in
	// the legal group" or "you have already approved".
	Message string
	// Code says why a vote was refused, as a dsrflow error code (EFORBIDDEN: not allowed to vote;
	// ECONFLICT: already voted or already decided), for the API's status; empty when accepted.
	Code string
	// Card is the review as it stands after the vote, for updating the original message.
	Card *Card
}

// Dispatcher delivers votes to the workflow that waits for them. A refused vote is a VoteOutcome with
// Accepted false, not an error; errors are ENOTFOUND (no such review) or EUNAVAILABLE.
type Dispatcher interface {
	Vote(ctx context.Context, v Vote) (VoteOutcome, error)
}

// Reviewers are the reviewer groups (legal, dpo, ...) by member. A member names the space it lives in,
// and the spaces never mix, so no name in one stands for someone in another: "slack:U0123ABCD" (a Slack
// member), "token:NAME" (an API token), "oidc:SUB" (a single sign-on subject id). Bare entries keep
// earlier files working without the old ambiguity: a bare Slack user id (U or W, then capitals and
// digits) is that Slack member only, any other bare name an API token (ReviewerMember).
// People names the persons who act under more than one member (a Slack user id and a token, say), each
// written like a group member: each person counts once however many of their names vote, so two
// approvals need two people.
type Reviewers struct {
	Groups map[string][]string `yaml:"groups"`
	People map[string][]string `yaml:"people"`
}

// PersonOf is the person behind a principal (slack:UID, token:NAME, oidc:SUB; a bare Slack user id as
// Slack sends it): "person:" and the person's key in People when a person lists it, else the principal
// itself (a name nobody else uses is a person of its own). Spaces never mix, as for GroupsOf.
func (r Reviewers) PersonOf(principal string) string {
	q := principal
	if !strings.Contains(q, ":") && isSlackUserID(q) {
		q = SlackMember + q
	}
	for person, names := range r.People {
		if slices.ContainsFunc(names, func(m string) bool {
			qm, err := ReviewerMember(m)
			return err == nil && qm == q
		}) {
			return "person:" + person
		}
	}
	return principal
}

// The spaces of reviewer group members and principals.
const (
	SlackMember = "slack:"
	TokenMember = "token:"
	OIDCMember  = "oidc:"
)

// ReviewerMember returns a reviewers file entry in its qualified form (see Reviewers), or EINVALID
// saying what is wrong with it.
func ReviewerMember(entry string) (string, error) {
	space, name, qualified := strings.Cut(entry, ":")
	switch {
	case !qualified && isSlackUserID(entry):
		return SlackMember + entry, nil
	case !qualified && entry != "":
		return TokenMember + entry, nil
	case !qualified:
		return "", Errorf(EINVALID, "a member must not be empty")
	case name == "":
		return "", Errorf(EINVALID, "%q names no member after its space", entry)
	case space+":" == SlackMember && !isSlackUserID(name):
		return "", Errorf(EINVALID, "%q is not a Slack user id (slack:U0123ABCD)", entry)
	case space+":" == SlackMember, space+":" == TokenMember, space+":" == OIDCMember:
		return entry, nil
	}
	return "", Errorf(EINVALID, "%q: unknown space %q (slack:, token: or oidc:)", entry, space)
}

// isSlackUserID reports whether id has the form of a Slack user id (U…, or W… on Enterprise Grid).
func isSlackUserID(id string) bool {
	if len(id) < 3 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, c := range id[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// GroupsOf lists the groups of a principal (slack:UID, token:NAME, oidc:SUB), sorted. A bare Slack user
// id, as Slack sends it, is that Slack member; any other bare name belongs to no group.
func (r Reviewers) GroupsOf(principal string) []string {
	if !strings.Contains(principal, ":") {
		if !isSlackUserID(principal) {
			return nil
		}
		principal = SlackMember + principal
	}
	var out []string
	for g, members := range r.Groups {
		if slices.ContainsFunc(members, func(m string) bool {
			q, err := ReviewerMember(m)
			return err == nil && q == principal
		}) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// Members lists a group's members.
func (r Reviewers) Members(group string) []string { return r.Groups[group] }
