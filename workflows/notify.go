package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
)

// versionNotify puts the request workflow's cards and alerts (objection review cards, deadline and job
// alerts through the Notifier activities) behind a version: requests started before keep their history.
const versionNotify = "review-cards-and-alerts"

// notifies reports whether this request shows cards and alerts to people.
func (r *jobRunner) notifies(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, versionNotify, workflow.DefaultVersion, 1) == 1
}

// objectionCard is an objection's review as reviewers see it: the case, never the subject or grounds.
func (r *request) objectionCard() dsrflow.Card {
	c := dsrflow.Card{
		ReviewID: r.in.ID, Kind: dsrflow.ReviewObjection, Title: "Objection " + r.in.ID + ": compelling legitimate grounds?",
		Fields: []dsrflow.CardField{
			{Label: "Request", Value: r.in.ID},
			{Label: "Country", Value: r.in.Country},
			{Label: "Received", Value: r.in.ReceivedAt.UTC().Format("2006-01-02")},
			{Label: "Due", Value: r.due.UTC().Format("2006-01-02")},
		},
		Link: r.in.Link,
	}
	switch {
	case r.refusal != nil:
		c.State = "Request refused (" + r.refusal.Ground + ") by " + r.refusal.Actor.ID
	case r.canceled != nil:
		c.State = "Canceled"
	case r.decision != nil && r.decision.Decision == DecisionApprove:
		c.State = "Objection upheld by " + r.decision.Actor.ID
	case r.decision != nil:
		c.State = "Objection declined by " + r.decision.Actor.ID
	default:
		c.Actions = []dsrflow.VoteAction{dsrflow.VoteApprove, dsrflow.VoteReject}
		c.State = "Awaiting a reviewer's decision"
	}
	return c
}

func (r *request) postObjectionCard(ctx workflow.Context) dsrflow.CardRef {
	var ref dsrflow.CardRef
	in := act.PostCardInput{RequestID: r.in.ID, Card: r.objectionCard()}
	if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.PostCard, in).Get(ctx, &ref); err != nil {
		r.audit(ctx, "card_post_failed", nil, "system", "")
	}
	return ref
}

func (r *request) updateObjectionCard(ctx workflow.Context, ref dsrflow.CardRef) {
	if ref == (dsrflow.CardRef{}) {
		return
	}
	in := act.UpdateCardInput{RequestID: r.in.ID, Ref: ref, Card: r.objectionCard()}
	if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.UpdateCard, in).Get(ctx, nil); err != nil {
		r.audit(ctx, "card_update_failed", nil, "system", "")
	}
}

// deadlineAlert tells the alert channel of a reminder or an overdue escalation.
func (r *request) deadlineAlert(ctx workflow.Context, action string, detail map[string]string) {
	a := dsrflow.Alert{Severity: "warning", Link: r.in.Link}
	switch action {
	case "deadline_reminder":
		a.Title = fmt.Sprintf("Request %s is due in %s days", r.in.ID, detail["days_left"])
		a.Text = fmt.Sprintf("%s request, %s, due %s; status %s.", r.in.Type, r.in.Country, r.due.UTC().Format("2006-01-02"), r.status)
	default:
		a.Severity = "critical"
		a.Title = fmt.Sprintf("Request %s is overdue by %s days", r.in.ID, detail["days_overdue"])
		a.Text = fmt.Sprintf("%s request, %s, was due %s; status %s.", r.in.Type, r.in.Country, r.due.UTC().Format("2006-01-02"), r.status)
	}
	r.sendAlert(ctx, a)
}

// jobAlert tells the alert channel that a connector job failed for good and a person must follow up.
func (r *jobRunner) jobAlert(ctx workflow.Context, ref act.ConnectorRef, action dsrflow.Action, detail string) {
	if !r.notifies(ctx) {
		return
	}
	r.sendAlert(ctx, dsrflow.Alert{
		Severity: "critical", Link: r.link,
		Title: fmt.Sprintf("Connector %s failed the %s job of request %s", ref.ID, action, r.id),
		Text:  detail + " (" + ref.Owner + "); a person must follow up.",
	})
}
