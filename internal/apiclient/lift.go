package apiclient

import (
	"context"

	"github.com/dsrflow/dsrflow"
)

// LiftRestriction implements dsrflow.RequestService: POST /api/v1/requests/{id}/restriction/lift.
func (c *Client) LiftRestriction(ctx context.Context, id string, l dsrflow.RestrictionLift) (dsrflow.RestrictionLifted, error) {
	var out dsrflow.RestrictionLifted
	return out, c.post(ctx, requestPath(id, "restriction/lift"), nil, l, &out)
}
