package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
)

// registerHandlers wires the request's updates, signal and query. Validators refuse an update before it
// enters history, so a refused one leaves no trace but the caller's error.
func (r *request) registerHandlers(ctx workflow.Context) error {
	err := errors.Join(
		workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return r.state(), nil }),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateVerified, r.onVerified, workflow.UpdateHandlerOptions{Validator: r.validateVerified}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateResend, r.onResend, workflow.UpdateHandlerOptions{Validator: r.validateResend}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, r.onDecide, workflow.UpdateHandlerOptions{Validator: r.validateDecide}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateExtend, r.onExtend, workflow.UpdateHandlerOptions{Validator: r.validateExtend}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateCancel, r.onCancel, workflow.UpdateHandlerOptions{Validator: r.validateCancel}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateResolveJob, r.onResolveJob, workflow.UpdateHandlerOptions{Validator: r.validateResolveJob}),
		r.registerTaskHandlers(ctx),
		r.registerRefusal(ctx),
	)
	if err != nil {
		return err
	}
	r.receiveResults(ctx)
	return nil
}

func (r *request) state() State {
	s := State{Status: r.status, Due: r.due, Extended: r.extended, Verified: r.verified, Jobs: len(r.outcomes) + r.pending, JobsPending: r.pending}
	s.EID = r.verified && r.in.Verification == dsrflow.VerifyEID
	for _, e := range r.escalations {
		if e.resolved == nil {
			s.JobsEscalated = append(s.JobsEscalated, e.jobID)
		}
	}
	return s
}

func (r *request) validateVerified(in VerifiedInput) error {
	if r.ending || r.status != dsrflow.StatusVerifying && !r.verified {
		return refuse("request is %s, not waiting for verification", r.status)
	}
	return r.validateEID(in)
}

// onVerified is idempotent: the front door may repeat it after a lost answer.
func (r *request) onVerified(ctx workflow.Context, in VerifiedInput) (State, error) {
	if !r.verified {
		r.verified = true
		if r.verifiedByEID(ctx, in) {
			return r.state(), nil
		}
		r.audit(ctx, "identity_verified", nil, in.Actor.ID, "")
	}
	return r.state(), nil
}

func (r *request) validateResend(in ResendInput) error {
	switch {
	case r.verified || r.ending || r.status != dsrflow.StatusVerifying:
		return refuse("request is %s, not waiting for a code", r.status)
	case r.resends >= r.policy.CodeResends:
		return refuse("no resends left: at most %d", r.policy.CodeResends)
	}
	return nil
}

func (r *request) onResend(ctx workflow.Context, in ResendInput) (State, error) {
	r.resends++
	r.issueCode(ctx, "resend")
	r.audit(ctx, "verification_code_resent", nil, in.Actor.ID, "")
	return r.state(), nil
}

func (r *request) validateDecide(in DecisionInput) error {
	if err := r.validateMarketingObjection(in); err != nil {
		return err
	}
	switch {
	case r.ending || r.status != dsrflow.StatusInReview || r.decision != nil:
		return refuse("request is %s, no decision is pending", r.status)
	case !reviewerRoles[in.Actor.Role]:
		return rejectf(dsrflow.EFORBIDDEN, "role %q may not decide; reviewer, dpo or admin may", in.Actor.Role)
	case !dsrflow.Decision(in.Decision).Valid():
		return rejectf(dsrflow.EINVALID, "decision must be approve or reject")
	case strings.TrimSpace(in.Reason) == "":
		return rejectf(dsrflow.EINVALID, "a decision needs a reason")
	}
	return nil
}

func (r *request) onDecide(ctx workflow.Context, in DecisionInput) (State, error) {
	if r.decision != nil { // a second update raced past the validator
		return r.state(), refuse("already decided")
	}
	r.decision = &in
	r.mustLocal(ctx, storeActs.RecordDecision, dsrflow.DecisionRecord{RequestID: r.in.ID, Reviewer: in.Actor.ID, Decision: dsrflow.Decision(in.Decision), Reason: in.Reason, At: workflow.Now(ctx).UTC()})
	return r.state(), nil
}

func (r *request) validateExtend(in ExtendInput) error {
	switch {
	case r.ending:
		return refuse("request is %s", r.status)
	case r.extended:
		return refuse("the deadline was already extended once")
	case strings.TrimSpace(in.Reason) == "":
		return rejectf(dsrflow.EINVALID, "an extension needs a reason, which the subject is told")
	}
	return nil
}

func (r *request) onExtend(ctx workflow.Context, in ExtendInput) (State, error) {
	// The validator cannot read the workflow clock; the deadline test belongs here.
	if !workflow.Now(ctx).Before(r.in.Due) {
		return r.state(), refuse("the first due date has passed; the extension had to be told before it")
	}
	if r.extended {
		return r.state(), refuse("the deadline was already extended once")
	}
	r.extended = true
	r.due = r.in.ExtendedDue
	r.dueChanged++
	r.transition(ctx, r.status, "deadline_extended", map[string]string{"due": r.due.Format("2006-01-02")}, in.Actor.ID, in.Reason)
	mail := act.Mail{
		ID: r.in.ID + ":extension", RequestID: r.in.ID, Kind: "extension", To: r.in.Identity.Email,
		Subject: "Your request " + r.in.ID + ": we need more time",
		Text: fmt.Sprintf("We need more time to answer your request %s. We will answer by %s.\n\nWhy: %s\n",
			r.in.ID, r.due.Format("2 January 2006"), in.Reason),
	}
	// The activity writes the notice in the subject's language (English above for histories from before).
	if workflow.GetVersion(ctx, "h18b-extension-language", workflow.DefaultVersion, 1) == 1 {
		mail.Extension = &act.Extension{Language: r.in.Language, Due: r.due, Reason: in.Reason}
	}
	if err := workflow.ExecuteActivity(activityOptions(ctx), verifyActs.Send, mail).Get(ctx, nil); err != nil {
		r.audit(ctx, "extension_mail_failed", nil, "system", "")
	}
	return r.state(), nil
}

func (r *request) validateCancel(in CancelInput) error {
	switch {
	case r.ending || r.canceled != nil || r.refusal != nil:
		return refuse("request is %s", r.status)
	case r.fulfilling:
		return refuse("fulfilment has started; the request can no longer be canceled")
	case strings.TrimSpace(in.Reason) == "":
		return rejectf(dsrflow.EINVALID, "a cancellation needs a reason")
	}
	return nil
}

func (r *request) onCancel(ctx workflow.Context, in CancelInput) (State, error) {
	if r.fulfilling {
		return r.state(), refuse("fulfilment has started; the request can no longer be canceled")
	}
	r.canceled = &in
	return r.state(), nil
}
