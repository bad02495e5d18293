package apiclient

import (
	"context"

	"github.com/dsrflow/dsrflow"
)

// RefuseRequest implements dsrflow.RequestService: POST /api/v1/requests/{id}/refusal, with the key as
// Idempotency-Key so that a retried refusal counts once.
func (c *Client) RefuseRequest(ctx context.Context, id string, r dsrflow.Refusal) (dsrflow.RequestState, error) {
	var out dsrflow.RequestState
	return out, c.post(ctx, requestPath(id, "refusal"), idempotency(r.Key), r, &out)
}
