package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
)

// DefaultRecordRetention is how long a closed request's personal data is kept when DSR_RECORD_RETENTION
// does not say: 3 years, the limitation period for claims about how the request was handled.
var DefaultRecordRetention = connectors.Age{Months: 36}

// shredBatch bounds the requests read at once.
const shredBatch = 100

// ShredExpiredRecords crypto-shreds the personal data of every request closed longer ago than the
// record retention (store.ShredRequest): its identity, details, records, export, mail and reasons can no
// longer be decrypted. Each request is audited first, with an idempotency key of its own, so a retried
// pass neither loses nor repeats an event; the event holds the policy and dates, no personal data.
func (a *Store) ShredExpiredRecords(ctx context.Context, in ShredInput) (ShredResult, error) {
	age := a.RecordRetention
	if age == (connectors.Age{}) {
		age = DefaultRecordRetention
	}
	res := ShredResult{Cutoff: age.Cutoff(in.Now).UTC(), Retention: age.String()}
	for {
		expired, err := a.Store.ExpiredRecords(ctx, res.Cutoff, shredBatch)
		if err != nil {
			return res, err
		}
		for _, r := range expired {
			_, err := a.Store.AppendAudit(ctx, store.AuditEvent{
				At: in.Now.UTC(), RequestID: r.ID, Action: "personal_data_shredded", Actor: "system",
				Reason: "record retention of " + res.Retention + " after closure ended",
				Detail: map[string]string{"closed": r.ClosedAt.UTC().Format(time.RFC3339), "retention": res.Retention},
				Key:    "shred/" + r.ID,
			})
			if err != nil {
				return res, fmt.Errorf("audit shredding of %s: %w", r.ID, err)
			}
			if _, err := a.Store.ShredRequest(ctx, r.ID, in.Now); err != nil {
				return res, err
			}
			res.Shredded++
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx, res.Shredded)
			}
		}
		if len(expired) < shredBatch {
			return res, nil
		}
	}
}
