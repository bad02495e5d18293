package apiclient

import (
	"context"
	"net/url"

	"github.com/dsrflow/dsrflow"
)

// AssignRequest implements dsrflow.RequestService: POST /api/v1/requests/{id}/assignee.
func (c *Client) AssignRequest(ctx context.Context, id, assignee string) (dsrflow.Assigned, error) {
	var out dsrflow.Assigned
	return out, c.post(ctx, requestPath(id, "assignee"), nil, map[string]string{"assignee": assignee}, &out)
}

// AddNote implements dsrflow.RequestService: POST /api/v1/requests/{id}/notes.
func (c *Client) AddNote(ctx context.Context, id, text string) (dsrflow.NoteView, error) {
	var out dsrflow.NoteView
	return out, c.post(ctx, requestPath(id, "notes"), nil, map[string]string{"text": text}, &out)
}

// ListRouted implements dsrflow.RequestService: GET /api/v1/routed?request=ID.
func (c *Client) ListRouted(ctx context.Context, requestID string) ([]dsrflow.RoutedItem, error) {
	var out []dsrflow.RoutedItem
	q := url.Values{}
	if requestID != "" {
		q.Set("request", requestID)
	}
	return out, c.get(ctx, "/api/v1/routed", q, &out)
}

// InstructRouted implements dsrflow.RequestService: POST /api/v1/routed/{id}/instruction.
func (c *Client) InstructRouted(ctx context.Context, id string, in dsrflow.RoutedInstructionInput) (dsrflow.RoutedItem, error) {
	var out dsrflow.RoutedItem
	return out, c.post(ctx, "/api/v1/routed/"+url.PathEscape(id)+"/instruction", nil, in, &out)
}
