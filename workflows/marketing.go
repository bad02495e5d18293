package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities/act"
)

// Marketing rights that cannot be refused: an objection to direct marketing is absolute (GDPR
// Art. 21(3): "the personal data shall no longer be processed for such purposes"), so it skips review
// and a reviewer's reject is refused; a fulfilled opt-out or erasure puts the address on the
// suppression list.

// Change ids of this file's behaviour, for recorded histories.
const (
	changeMarketingObjection = "marketing-objection-absolute"
	changeSuppressionList    = "marketing-suppression-list"
)

// errMarketingObjection is the refusal of a reject on an objection to direct marketing.
const errMarketingObjection = "an objection to direct marketing cannot be rejected (GDPR Art. 21(3)): it is carried out without review"

// needsReview reports whether a reviewer decides before fulfilment: the right says so, unless the
// request objects to direct marketing.
func (r *request) needsReview(ctx workflow.Context) bool {
	if !r.in.Type.Right().Review {
		return false
	}
	if !r.in.DirectMarketing || workflow.GetVersion(ctx, changeMarketingObjection, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true
	}
	r.audit(ctx, "review_not_required", map[string]string{"law": "GDPR Art. 21(3)"}, "system", "objection to direct marketing")
	return false
}

// validateMarketingObjection refuses a reject of an objection to direct marketing, whatever the
// request's state, before any other check: the caller learns why, not only that no review is pending.
func (r *request) validateMarketingObjection(in DecisionInput) error {
	if r.in.DirectMarketing && in.Decision == DecisionReject {
		return refuse(errMarketingObjection)
	}
	return nil
}

// suppress puts the subject's address on the marketing suppression list once a right that suppresses
// (marketing opt-out, erasure) or an objection to direct marketing has been fulfilled. A failure is
// audited, not fatal: the answer is still owed, and the suppression can be added by hand.
func (r *request) suppress(ctx workflow.Context) {
	if !r.in.Type.Right().Suppresses && !r.in.DirectMarketing {
		return
	}
	if workflow.GetVersion(ctx, changeSuppressionList, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	in := act.SuppressInput{RequestID: r.in.ID, Email: r.in.Identity.Email, Reason: string(r.in.Type)}
	if err := workflow.ExecuteActivity(activityOptions(ctx), act.Suppression.Suppress, in).Get(ctx, nil); err != nil {
		r.audit(ctx, "suppression_failed", nil, "system", "")
		return
	}
	r.audit(ctx, "address_suppressed", map[string]string{"reason": string(r.in.Type)}, "system", "")
}
