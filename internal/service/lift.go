package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/workflows"
)

// LiftRestriction implements dsrflow.RequestService: an agent's or the DPO's lift of a fulfilled
// restriction (GDPR Art. 18(3)). An empty reason is EINVALID naming the field; a request that is not a
// completed restriction is ECONFLICT. It starts the request's one RestrictionLift workflow, which tells
// the subject before it lifts; a second lift finds it (Already) and starts nothing.
func (s *Service) LiftRestriction(ctx context.Context, id string, l dsrflow.RestrictionLift) (dsrflow.RestrictionLifted, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.RestrictionLifted{}, err
	}
	reason := strings.TrimSpace(l.Reason)
	if reason == "" {
		fields := map[string]string{"reason": "a lift needs a reason, which the subject is told before it is lifted"}
		return dsrflow.RestrictionLifted{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid lift: " + fieldList(fields), Fields: fields}
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return dsrflow.RestrictionLifted{}, err
	}
	switch {
	case req.Type != dsrflow.Restriction:
		return dsrflow.RestrictionLifted{}, dsrflow.Errorf(dsrflow.ECONFLICT, "request %s is a %s request, not a restriction: there is nothing to lift", id, req.Type)
	case req.Status != dsrflow.StatusCompleted:
		return dsrflow.RestrictionLifted{}, dsrflow.Errorf(dsrflow.ECONFLICT, "request %s is %s: only a fulfilled (completed) restriction can be lifted", id, req.Status)
	}
	if status := s.liftStatus(ctx, id); status != "" {
		return dsrflow.RestrictionLifted{ID: id, Status: status, Already: true}, nil
	}
	detail, err := s.Store.GetRequestDetail(ctx, id)
	if err != nil {
		return dsrflow.RestrictionLifted{}, err
	}
	var identity dsrflow.Identity
	var details struct {
		Verification dsrflow.Verification `json:"verification"`
	}
	if err := json.Unmarshal(detail.Identity, &identity); err != nil {
		return dsrflow.RestrictionLifted{}, fmt.Errorf("decode the identity of %s: %w", id, err)
	}
	_ = json.Unmarshal(detail.Details, &details)
	// The identity types the restriction verified select the records again, as they did then.
	verified := identity.Types()
	if details.Verification == dsrflow.VerifyEmailCode {
		verified = []string{dsrflow.IdentityEmail}
	}
	in := workflows.LiftInput{RequestID: id, Country: req.Country, Link: s.link(id), Reason: reason, Actor: actor(p),
		To: identity.Email, Identity: identity, Verified: verified, Policy: workflows.CurrentPolicy()}
	_, err = s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.LiftWorkflowID(id),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.RestrictionLift, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return dsrflow.RestrictionLifted{ID: id, Status: "lifting", Already: true}, nil
	}
	if err != nil {
		return dsrflow.RestrictionLifted{}, fmt.Errorf("start the lift of %s: %w", id, err)
	}
	return dsrflow.RestrictionLifted{ID: id, Status: "lifting"}, nil
}

// liftStatus is "lifted" or "lifting" when the request's audit trail shows a lift, "" otherwise.
func (s *Service) liftStatus(ctx context.Context, id string) string {
	events, err := s.Store.ListAudit(ctx, id)
	if err != nil {
		return ""
	}
	status := ""
	for _, e := range events {
		switch e.Action {
		case workflows.AuditLifted:
			return "lifted"
		case workflows.AuditLiftRequested:
			status = "lifting"
		}
	}
	return status
}
