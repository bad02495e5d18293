package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// repeatFlagged is the audit action of a request flagged at receipt as a repeat (workflows.flagRepeat).
const repeatFlagged = "repeat_request_flagged"

// RefuseRequest implements dsrflow.RequestService: a reviewer's or the DPO's refusal (Art. 12(5), 12(2)
// with 11(2)), at any stage before the answer. A bad ground or an empty reason is EINVALID naming the
// field and changes nothing; a request already answered is ECONFLICT. The caller's key makes a retried
// refusal one update (refusalUpdateID).
func (s *Service) RefuseRequest(ctx context.Context, id string, r dsrflow.Refusal) (dsrflow.RequestState, error) {
	p, err := caller(ctx, reviewers...)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	fields := map[string]string{}
	ground := dsrflow.RefusalGround(strings.TrimSpace(r.Ground))
	if !ground.Valid() {
		fields["ground"] = "must be one of " + dsrflow.RefusalGroundList()
	}
	reason := strings.TrimSpace(r.Reason)
	if reason == "" {
		fields["reason"] = "a refusal needs a reason, which the subject is told"
	}
	if len(fields) > 0 {
		return dsrflow.RequestState{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid refusal: " + fieldList(fields), Fields: fields}
	}
	if err := checkKey(r.Key); err != nil {
		return dsrflow.RequestState{}, err
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return dsrflow.RequestState{}, err
	}
	if req.ClosedAt != nil {
		// A retry (same caller, a key) of a refusal that has closed the request meanwhile gets its answer.
		if r.Key != "" && req.Status == dsrflow.StatusRejected && s.refusedBy(ctx, id) == p.ID {
			return dsrflow.RequestState{ID: id, Status: string(req.Status), Due: deadline.DateOfEnd(req.DueAt, req.Country), Extended: req.ExtendedDueAt != nil}, nil
		}
		return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.ECONFLICT, "request is %s: it was answered and closed, so it can no longer be refused", req.Status)
	}
	return s.updateAs(ctx, id, refusalUpdateID(p, id, r.Key), workflows.UpdateRefuse,
		workflows.RefuseInput{Actor: actor(p), Ground: string(ground), Reason: reason})
}

// refusedBy is who refused the request, from its audit trail; "" when nobody did or it cannot be read.
func (s *Service) refusedBy(ctx context.Context, id string) string {
	events, err := s.Store.ListAudit(ctx, id)
	if err != nil {
		return ""
	}
	for _, e := range events {
		if e.Action == store.RefusedAction {
			return e.Actor
		}
	}
	return ""
}

// refusalUpdateID is the Temporal update id of a refusal: a hash of the caller, the request and the
// caller's key, or "" (a fresh id) without a key. Like review.UpdateID, the key only says "this is my
// retry": nobody else's refusal can share it.
func refusalUpdateID(p dsrflow.Principal, id, key string) string {
	if key == "" {
		return ""
	}
	h := sha256.New()
	for _, part := range []string{p.ID, id, workflows.UpdateRefuse, key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "refusal:" + hex.EncodeToString(h.Sum(nil)[:16])
}
