package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/internal/store"
)

// dueKeptBatch bounds the kept records one sweep purges; the rest wait for the next day's.
const dueKeptBatch = 1000

// DueKept lists the kept data whose last day kept ended by in.Now, by connector.
func (a *Store) DueKept(ctx context.Context, in act.DueKeptInput) ([]act.KeptRecord, error) {
	due, err := a.Store.DueKept(ctx, in.Now, dueKeptBatch)
	if err != nil {
		return nil, err
	}
	out := make([]act.KeptRecord, len(due))
	for i, k := range due {
		out[i] = act.KeptRecord{JobID: k.JobID, RequestID: k.RequestID, Connector: k.ConnectorID, Dataset: k.Dataset, Ref: k.Ref, Until: k.Until}
	}
	return out, nil
}

// KeptPurged records that a purge job deleted kept data: an audit event on each request the data was
// kept for (kept_data_deleted, keyed so that a retry adds none), then the kept rows marked purged.
func (a *Store) KeptPurged(ctx context.Context, in act.KeptPurgedInput) error {
	var done []store.Kept
	for _, k := range in.Records {
		_, err := a.Store.AppendAudit(ctx, store.AuditEvent{
			At: in.At.UTC(), RequestID: k.RequestID, Action: "kept_data_deleted", Actor: "system",
			Reason: "the period it was kept for ended",
			Detail: map[string]string{"connector": k.Connector, "dataset": k.Dataset, "until": k.Until.UTC().Format(time.DateOnly), "purge_job": in.PurgeJob},
			Key:    "kept/" + k.JobID + "/" + k.Dataset + "/" + k.Ref,
		})
		if err != nil {
			return fmt.Errorf("audit deletion of kept data of %s: %w", k.JobID, err)
		}
		done = append(done, store.Kept{JobID: k.JobID, Dataset: k.Dataset, Ref: k.Ref})
	}
	return a.Store.MarkKeptPurged(ctx, done, in.PurgeJob, in.At)
}

// keptOf is the kept data an erasure job's outcome reports with an until-date and a ref.
func keptOf(out JobOutcome) []store.Kept {
	requestID, _, _ := strings.Cut(out.JobID, ":")
	var kept []store.Kept
	for _, e := range out.Exemptions {
		if e.Until == nil || e.Ref == "" || e.Dataset == "" {
			continue
		}
		k := store.Kept{JobID: out.JobID, RequestID: requestID, ConnectorID: out.Connector.ID, Dataset: e.Dataset, Ref: e.Ref, Until: keptDay(*e.Until)}
		// One ref named with several until-dates is kept until the latest: never deleted early.
		if i := slices.IndexFunc(kept, func(o store.Kept) bool { return o.Dataset == k.Dataset && o.Ref == k.Ref }); i >= 0 {
			kept[i].Until = maxTime(kept[i].Until, k.Until)
			continue
		}
		kept = append(kept, k)
	}
	return kept
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// keptDay is the calendar day (UTC) an until-date names.
func keptDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
