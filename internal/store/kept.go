package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Kept is data an erasure job reported kept (an exemption with an until-date and the connector's ref),
// so that the retention sweep has it purged when its period ends. It holds no personal data.
type Kept struct {
	JobID       string `db:"job_id"`
	RequestID   string `db:"request_id"`
	ConnectorID string `db:"connector_id"`
	Dataset     string `db:"dataset"`
	Ref         string `db:"ref"`
	// Until is the last day kept (midnight UTC); the data may go from the next day on.
	Until time.Time `db:"-"`
	// PurgedAt and PurgeJob say when and by which purge job it went; nil and "" while it is kept.
	PurgedAt *time.Time `db:"-"`
	PurgeJob string     `db:"-"`
}

type keptRow struct {
	Kept
	UntilAt  dbTime  `db:"kept_until"`
	Purged   dbTime  `db:"purged_at"`
	PurgeJob *string `db:"purge_job"`
}

const keptColumns = "job_id, request_id, connector_id, dataset, ref, kept_until, purged_at, purge_job"

// PutKept records kept data; recording the same job's dataset and ref again updates its until-date while
// it is still kept. EINVALID when a field is missing.
func (s *Store) PutKept(ctx context.Context, kept []Kept) error {
	for _, k := range kept {
		if k.JobID == "" || k.RequestID == "" || k.ConnectorID == "" || k.Dataset == "" || k.Ref == "" || k.Until.IsZero() {
			return dsrflow.Errorf(dsrflow.EINVALID, "kept data needs job, request and connector ids, dataset, ref and until")
		}
		_, err := s.db.ExecContext(ctx, s.rebind(`
			INSERT INTO kept (job_id, request_id, connector_id, dataset, ref, kept_until) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (job_id, dataset, ref) DO UPDATE SET kept_until = excluded.kept_until
			WHERE kept.purged_at IS NULL`),
			k.JobID, k.RequestID, k.ConnectorID, k.Dataset, k.Ref, s.timeArg(k.Until))
		if err != nil {
			return unavailable("put kept data of job "+k.JobID, err)
		}
	}
	return nil
}

// DueKept returns at most limit records still kept whose last day kept ended by at, ordered by
// connector, request, dataset and ref.
func (s *Store) DueKept(ctx context.Context, at time.Time, limit int) ([]Kept, error) {
	var rows []keptRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT `+keptColumns+` FROM kept
		WHERE purged_at IS NULL AND kept_until <= ?
		ORDER BY connector_id, request_id, dataset, ref, job_id LIMIT ?`), s.timeArg(at.Add(-24*time.Hour)), limit)
	if err != nil {
		return nil, unavailable("list kept data due", err)
	}
	return keptRows(rows), nil
}

// ListKept returns a request's kept data, purged or not, ordered by connector, dataset and ref.
func (s *Store) ListKept(ctx context.Context, requestID string) ([]Kept, error) {
	var rows []keptRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT `+keptColumns+` FROM kept WHERE request_id = ?
		ORDER BY connector_id, dataset, ref, job_id`), requestID)
	if err != nil {
		return nil, fmt.Errorf("list kept data of request %s: %w", requestID, err)
	}
	return keptRows(rows), nil
}

// MarkKeptPurged records that purge job purgeJob deleted the kept data at at. Marking it again keeps
// the first purge.
func (s *Store) MarkKeptPurged(ctx context.Context, kept []Kept, purgeJob string, at time.Time) error {
	for _, k := range kept {
		_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE kept SET purged_at = ?, purge_job = ?
			WHERE job_id = ? AND dataset = ? AND ref = ? AND purged_at IS NULL`),
			s.timeArg(at), purgeJob, k.JobID, k.Dataset, k.Ref)
		if err != nil {
			return unavailable("mark kept data of job "+k.JobID+" purged", err)
		}
	}
	return nil
}

func keptRows(rows []keptRow) []Kept {
	out := make([]Kept, len(rows))
	for i, r := range rows {
		out[i] = r.Kept
		out[i].Until, out[i].PurgedAt = r.UntilAt.Time, r.Purged.ptr()
		if r.PurgeJob != nil {
			out[i].PurgeJob = *r.PurgeJob
		}
	}
	return out
}
