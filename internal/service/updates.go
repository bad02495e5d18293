package service

import (
	"context"
	"strconv"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/workflows"
)

// VerifyRequest implements dsrflow.RequestService. It checks the code against the store (atomically
// counting attempts) and only then tells the workflow: the code never enters workflow history.
func (s *Service) VerifyRequest(ctx context.Context, id, code string) (dsrflow.RequestState, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return dsrflow.RequestState{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "the code is 6 digits", Fields: map[string]string{"code": "must be 6 digits"}}
	}
	check, err := s.Store.CheckCode(ctx, id, s.Key.CodeHash(id, code), s.now())
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	switch {
	case check.NoCode:
		if _, err := s.Store.GetRequest(ctx, id); dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
			return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "request not found")
		}
		s.Metrics.Verification(metrics.VerifyNoCode)
		return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.ECONFLICT, "this request has no code to check")
	case check.AlreadyVerified && !check.OK, check.Expired:
		s.Metrics.Verification(metrics.VerifyExpired)
		return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.ECONFLICT, "the code has expired; ask for a new one")
	case !check.OK:
		msg := "wrong code; " + strconv.Itoa(check.AttemptsLeft) + " attempts left"
		outcome := metrics.VerifyWrong
		if check.AttemptsLeft == 0 {
			msg = "wrong code; no attempts left: ask for a new code"
			outcome = metrics.VerifyDead
		}
		s.Metrics.Verification(outcome)
		return dsrflow.RequestState{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: msg, Fields: map[string]string{"code": "wrong", "attempts_left": strconv.Itoa(check.AttemptsLeft)}}
	}
	s.Metrics.Verification(metrics.VerifyOK)
	return s.update(ctx, id, workflows.UpdateVerified, workflows.VerifiedInput{Actor: actor(p)})
}

// ResendCode implements dsrflow.RequestService.
func (s *Service) ResendCode(ctx context.Context, id string) (dsrflow.RequestState, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	return s.update(ctx, id, workflows.UpdateResend, workflows.ResendInput{Actor: actor(p)})
}

// Decide implements dsrflow.RequestService: one operation decides every pending review, and a
// disclosure's vote goes to its own workflow.
func (s *Service) Decide(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	p, err := caller(ctx, reviewers...)
	if err != nil {
		return dsrflow.Decided{}, err
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return dsrflow.Decided{}, err
	}
	if req.Type == workflows.TypeDisclosure {
		return s.vote(ctx, p, req.ID, string(req.Status), req.ClosedAt != nil, d)
	}
	if len(d.Scope) > 0 {
		return dsrflow.Decided{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "only a disclosure's scope can be narrowed", Fields: map[string]string{"scope": "only for disclosures"}}
	}
	if err := s.refuseMarketingReject(ctx, req, d); err != nil {
		return dsrflow.Decided{}, err
	}
	st, err := s.update(ctx, id, workflows.UpdateDecide, workflows.DecisionInput{Actor: actor(p), Decision: d.Decision, Reason: d.Reason})
	if err != nil {
		return dsrflow.Decided{}, err
	}
	return dsrflow.Decided{Request: &st}, nil
}

// ExtendRequest implements dsrflow.RequestService.
func (s *Service) ExtendRequest(ctx context.Context, id, reason string) (dsrflow.RequestState, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	return s.update(ctx, id, workflows.UpdateExtend, workflows.ExtendInput{Actor: actor(p), Reason: reason})
}

// CancelRequest implements dsrflow.RequestService.
func (s *Service) CancelRequest(ctx context.Context, id, reason string) (dsrflow.RequestState, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	return s.update(ctx, id, workflows.UpdateCancel, workflows.CancelInput{Actor: actor(p), Reason: reason})
}

// ResolveJob implements dsrflow.RequestService: retry an escalated job, mark it failed with a reason (the
// subject's answer reports it), or answer it by hand (done, not_found). The job-resolve route
// (internal/web/jobs.go) checks the same before it calls.
func (s *Service) ResolveJob(ctx context.Context, id string, r dsrflow.JobResolution) (dsrflow.RequestState, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	fields := map[string]string{}
	switch r.Action {
	case workflows.ResolveRetry, workflows.ResolveFailed, workflows.ResolveDone, workflows.ResolveNotFound, workflows.ResolveConfirm, workflows.ResolveDrop:
	default:
		fields["action"] = "must be retry, failed, done or not_found (an escalated job), confirm or drop (an identity conflict)"
	}
	reason := strings.TrimSpace(r.Reason)
	switch {
	case r.Action == workflows.ResolveFailed && reason == "":
		fields["reason"] = "failed needs a reason, which the subject is told"
	case r.Action == workflows.ResolveConfirm && reason == "":
		fields["reason"] = "confirm needs a reason: how the subject confirmed the identifiers are theirs"
	}
	if len(fields) > 0 {
		return dsrflow.RequestState{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid resolution: " + fieldList(fields), Fields: fields}
	}
	return s.update(ctx, id, workflows.UpdateResolveJob, workflows.ResolveJobInput{Actor: actor(p), JobID: r.JobID, Action: r.Action, Reason: reason})
}

func actor(p dsrflow.Principal) workflows.Actor { return workflows.Actor{ID: p.ID, Role: p.Role} }

// update sends a workflow update to an open request and answers with its state after it.
func (s *Service) update(ctx context.Context, id, name string, arg any) (dsrflow.RequestState, error) {
	return s.updateAs(ctx, id, "", name, arg)
}

// updateAs is update under an update id ("" for a fresh one): a repeated id is the same update, done once.
func (s *Service) updateAs(ctx context.Context, id, updateID, name string, arg any) (dsrflow.RequestState, error) {
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	if req.ClosedAt != nil {
		return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.ECONFLICT, "request is %s: it can no longer change", req.Status)
	}
	if req.Type == workflows.TypeDisclosure {
		return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.ECONFLICT, "%s is an authority disclosure: it has no %s", req.ID, name)
	}
	handle, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateID: updateID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return dsrflow.RequestState{}, temporalError(err)
	}
	var st workflows.State
	if err := handle.Get(ctx, &st); err != nil {
		return dsrflow.RequestState{}, temporalError(err)
	}
	return dsrflow.RequestState{ID: id, Status: string(st.Status), Due: deadline.DateOfEnd(st.Due, req.Country), Extended: st.Extended, Verified: st.Verified,
		EID: st.EID}, nil
}

// vote casts the caller's vote on a disclosure through the dispatcher, with the groups of the caller's
// principal.
func (s *Service) vote(ctx context.Context, p dsrflow.Principal, id, status string, closed bool, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	action := dsrflow.VoteAction(d.Decision)
	fields := map[string]string{}
	switch action {
	case dsrflow.VoteApprove, dsrflow.VoteReject, dsrflow.VoteNarrow:
	default:
		fields["decision"] = "must be approve, reject or narrow"
	}
	if action.NeedsReason() && strings.TrimSpace(d.Reason) == "" {
		fields["reason"] = "a rejection needs a reason"
	}
	if action == dsrflow.VoteNarrow && len(d.Scope) == 0 {
		fields["scope"] = "narrowing needs the categories to keep"
	}
	if action != dsrflow.VoteNarrow && len(d.Scope) > 0 {
		fields["scope"] = "only a narrowing vote has a scope"
	}
	if len(fields) > 0 {
		return dsrflow.Decided{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid decision: " + fieldList(fields), Fields: fields}
	}
	if closed {
		return dsrflow.Decided{}, dsrflow.Errorf(dsrflow.ECONFLICT, "disclosure is %s: it can no longer change", status)
	}
	if err := checkKey(d.Key); err != nil {
		return dsrflow.Decided{}, err
	}
	v := dsrflow.Vote{
		ReviewID: id, Kind: dsrflow.ReviewDisclosure, Action: action, Reason: strings.TrimSpace(d.Reason), Scope: d.Scope,
		Reviewer: p.ID, Groups: s.groupsOf(p), Person: s.personOf(p), Via: "api", Key: d.Key,
	}
	out, err := review.Dispatcher{Client: s.Client}.Deliver(ctx, v)
	if err != nil {
		return dsrflow.Decided{}, temporalError(err)
	}
	if !out.Accepted {
		code := out.Code
		if code == "" {
			code = dsrflow.ECONFLICT
		}
		return dsrflow.Decided{}, dsrflow.Errorf(code, "%s", out.Message)
	}
	state := ""
	if out.Card != nil {
		state = out.Card.State
	}
	return dsrflow.Decided{Vote: &dsrflow.VoteAccepted{ID: id, Accepted: true, State: state}}, nil
}
