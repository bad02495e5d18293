package service

import (
	"context"
	"encoding/json"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// refuseMarketingReject refuses a reject of an objection to direct marketing (GDPR Art. 21(3)) with
// ECONFLICT, whether the request is still open or already carried out; nil for any other decision. The
// open workflow refuses it too (its decide validator), which is what a Slack click meets.
func (s *Service) refuseMarketingReject(ctx context.Context, req store.Request, d dsrflow.ReviewDecision) error {
	if req.Type != dsrflow.Objection || d.Decision != workflows.DecisionReject {
		return nil
	}
	detail, err := s.Store.GetRequestDetail(ctx, req.ID)
	if err != nil {
		return nil // a shredded or missing detail: the workflow's own check answers
	}
	var inputs struct {
		Purposes []string `json:"purposes"`
	}
	if json.Unmarshal(detail.Details, &inputs) != nil || !dsrflow.ObjectsToDirectMarketing(s.purposes(), inputs.Purposes) {
		return nil
	}
	return dsrflow.Errorf(dsrflow.ECONFLICT, "an objection to direct marketing cannot be rejected (GDPR Art. 21(3)): it is carried out without review")
}
