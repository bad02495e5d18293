// Package activities holds dsrflow's Temporal activities: thin adapters from workflows to the store,
// connectors and mail. Each struct holds its dependencies; one file per concern.
package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/dsrflow/dsrflow/internal/store"
)

// Store records a request's index row and audit events.
type Store struct {
	Store *store.Store
}

// RecordRequest writes the request's row in the searchable index (insert or update).
func (a *Store) RecordRequest(ctx context.Context, r store.Request) error {
	if err := a.Store.PutRequest(ctx, r); err != nil {
		return fmt.Errorf("record request %s: %w", r.ID, err)
	}
	return nil
}

// AppendAudit appends one audit event. The idempotency key is the activity's identity within its
// workflow run, so a retried or replayed activity adds the event once.
func (a *Store) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	info := activity.GetInfo(ctx)
	if e.Key == "" {
		e.Key = info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID + "/" + info.ActivityID
	}
	out, err := a.Store.AppendAudit(ctx, e)
	if err != nil {
		return store.AuditEvent{}, fmt.Errorf("append audit %s for %s: %w", e.Action, e.RequestID, err)
	}
	return out, nil
}
