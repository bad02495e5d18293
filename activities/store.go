// Package activities holds dsrflow's Temporal activities: thin adapters from workflows to the store,
// connectors and mail. Each struct holds its dependencies; one file per concern.
package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Store records a request's index row and audit events, and shreds expired records.
type Store struct {
	Store *store.Store
	// RecordRetention is how long a closed request's personal data is kept (DSR_RECORD_RETENTION);
	// zero means DefaultRecordRetention.
	RecordRetention connectors.Age
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
	if e.Key == "" {
		e.Key = activityKey(ctx)
	}
	return appendAudit(ctx, a.Store, e)
}

// Transition records a status change: the index row, then the events of the steps since the last
// write, then its own event.
func (a *Store) Transition(ctx context.Context, t Transition) error {
	return writeTransition(ctx, a.Store, t, activityKey(ctx))
}

// RecordJob stores a job's outcome and audits it. Records are stored by the connector activities, not
// here: they never pass through workflow history. The connector activities record a final outcome
// themselves (JobOutcome.Recorded); this is for the outcomes the workflow makes or receives.
func (a *Store) RecordJob(ctx context.Context, out JobOutcome) error {
	return recordJob(ctx, a.Store, out, activityKey(ctx))
}

// activityKey is the running activity's identity within its workflow run: the idempotency key of
// the audit events it appends, so that a retried activity adds each once.
func activityKey(ctx context.Context) string {
	info := activity.GetInfo(ctx)
	return info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID + "/" + info.ActivityID
}

func appendAudit(ctx context.Context, st *store.Store, e store.AuditEvent) (store.AuditEvent, error) {
	out, err := st.AppendAudit(ctx, e)
	if err != nil {
		return store.AuditEvent{}, fmt.Errorf("append audit %s for %s: %w", e.Action, e.RequestID, err)
	}
	return out, nil
}

// writeTransition writes t under the idempotency key: the Earlier events as key/0, key/1, ..., and
// the transition's own event as key itself.
func writeTransition(ctx context.Context, st *store.Store, t Transition, key string) error {
	if err := st.PutRequest(ctx, t.Request); err != nil {
		return fmt.Errorf("record request %s: %w", t.Request.ID, err)
	}
	for i, e := range t.Earlier {
		if e.Key == "" {
			e.Key = key + "/" + strconv.Itoa(i)
		}
		if _, err := appendAudit(ctx, st, e); err != nil {
			return err
		}
	}
	if t.Event.Key == "" {
		t.Event.Key = key
	}
	_, err := appendAudit(ctx, st, t.Event)
	return err
}

// recordJob stores a job's final outcome and its audit event, keyed for retries.
func recordJob(ctx context.Context, st *store.Store, out JobOutcome, key string) error {
	exemptions, err := json.Marshal(out.Exemptions)
	if err != nil {
		return err
	}
	requestID, _, _ := strings.Cut(out.JobID, ":")
	if out.RecordsFrom != "" {
		// A team's records, stored by the front door: now the job's, before its outcome says completed.
		if err := st.MoveJobRecords(ctx, requestID, out.RecordsFrom, out.JobID); err != nil {
			return fmt.Errorf("record job %s: %w", out.JobID, err)
		}
	}
	j := store.Job{
		JobID: out.JobID, RequestID: requestID, ConnectorID: out.Connector.ID, Owner: out.Connector.Owner,
		Role: out.Connector.Role, Action: string(out.Action), Status: string(out.Status), Detail: out.Detail,
		Attempts: out.Attempts, Counts: out.Counts, Exemptions: exemptions, UpdatedAt: time.Now().UTC(),
	}
	if err := st.PutJob(ctx, j); err != nil {
		return fmt.Errorf("record job %s: %w", out.JobID, err)
	}
	// What was kept, and until when, so that the retention sweep has it purged then.
	if err := st.PutKept(ctx, keptOf(out)); err != nil {
		return fmt.Errorf("record job %s: %w", out.JobID, err)
	}
	_, err = appendAudit(ctx, st, store.AuditEvent{
		At: j.UpdatedAt, RequestID: requestID, Action: "job_" + string(out.Status), Actor: "connector:" + out.Connector.ID,
		Detail: jobAuditDetail(out), Key: key,
	})
	return err
}

// auditName is what a count kind or a dataset name must look like to enter the audit log: connectors
// name them, and the log holds no personal data, so anything that is not a short plain name stays out.
// Compiled on first use: {1,64} unrolls to 64 steps, which cost every program linking this package at init.
var auditName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// maxAuditDatasets bounds the per-dataset counts one audit event holds.
const maxAuditDatasets = 32

// jobAuditDetail is a job's audit detail: connector, action, and what the job did as counts, in total
// ("count.masked": "1") and per dataset ("count.customers.masked": "1"; "truncated.invoices": "true"
// when access stopped short there). Counts are not personal data.
func jobAuditDetail(out JobOutcome) map[string]string {
	d := map[string]string{"connector": out.Connector.ID, "action": string(out.Action)}
	for kind, n := range out.Counts {
		if auditName().MatchString(kind) {
			d["count."+kind] = strconv.Itoa(n)
		}
	}
	for i, ds := range out.Datasets {
		if i == maxAuditDatasets {
			break
		}
		if !auditName().MatchString(ds.Dataset) {
			continue
		}
		for kind, n := range ds.Counts {
			if auditName().MatchString(kind) {
				d["count."+ds.Dataset+"."+kind] = strconv.Itoa(n)
			}
		}
		if ds.Truncated {
			d["truncated."+ds.Dataset] = "true"
		}
	}
	return d
}

// RecordDecision stores a reviewer's decision and audits it.
func (a *Store) RecordDecision(ctx context.Context, d store.Decision) error {
	if err := a.Store.AddDecision(ctx, d); err != nil && dsrflow.ErrorCode(err) != dsrflow.ECONFLICT {
		return fmt.Errorf("record decision on %s: %w", d.RequestID, err)
	}
	_, err := a.AppendAudit(ctx, store.AuditEvent{At: d.At, RequestID: d.RequestID, Action: "decision_" + string(d.Decision), Actor: d.Reviewer, Reason: d.Reason})
	return err
}
