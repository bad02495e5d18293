package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// versionRecipients gates Art. 19 notices to the partners that actually received the subject's data:
// requests started before it told every partner, whether or not any system held the subject.
const versionRecipients = "art19-recipients-tracked"

// notifyRecipients tells the partners that received the subject's data of the rectification, erasure
// or restriction (GDPR Art. 19): the recipients (connectors.yaml) of the subsidiaries whose jobs of this
// request found the subject. A subject held nowhere is sent to no partner: asking a partner "do you
// hold this address?" would itself disclose it.
func (r *request) notifyRecipients(ctx workflow.Context) {
	if workflow.GetVersion(ctx, versionRecipients, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		r.fanOut(ctx, dsrflow.ActionNotify, true)
		return
	}
	held := r.heldBy()
	if len(held) == 0 {
		r.audit(ctx, "partners_not_notified", map[string]string{"why": "no system held the subject"}, "system", "")
		return
	}
	before := len(r.outcomes)
	r.fanOutTo(ctx, act.SelectInput{
		Action: dsrflow.ActionNotify, Identity: r.in.Identity, Partners: true, RecipientsTracked: true, HeldBy: held,
	})
	if len(r.outcomes) == before {
		r.audit(ctx, "partners_not_notified", map[string]string{"why": "no system that held the subject shares data with a partner"}, "system", "")
	}
}

// heldBy lists, sorted, the subsidiaries whose job of the request's own action found the subject: it
// acted on the data (completed) or kept some of it (exempt). A job that found nothing, failed, or
// could not tell whose data it was (identity conflict) holds nothing that was passed on.
func (r *request) heldBy() []string {
	var ids []string
	for _, o := range r.outcomes {
		if o.Connector.Role == connectors.RolePartner || o.Action != r.in.Type.Action() {
			continue
		}
		if o.Status == connectors.StatusCompleted || o.Status == connectors.StatusExempt {
			ids = append(ids, o.Connector.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}
