package apiclient

import (
	"context"

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
