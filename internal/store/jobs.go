package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/dsrflow/dsrflow"
)

// Job is one connector job of a request: which connector does what, and how it went. It holds no
// personal data (statuses, details, counts, exemptions), so it can be listed and shown freely.
type Job struct {
	JobID, RequestID, ConnectorID, Owner, Role, Action, Status, Detail string

	Attempts   int
	Counts     map[string]int // e.g. records found or erased, by kind
	Exemptions []byte         // JSON, opaque
	UpdatedAt  time.Time
}

type jobRow struct {
	JobID       string `db:"job_id"`
	RequestID   string `db:"request_id"`
	ConnectorID string `db:"connector_id"`
	Owner       string `db:"owner"`
	Role        string `db:"role"`
	Action      string `db:"action"`
	Status      string `db:"status"`
	Detail      string `db:"detail"`
	Attempts    int    `db:"attempts"`
	Counts      string `db:"counts"`
	Exemptions  []byte `db:"exemptions"`
	UpdatedAt   dbTime `db:"updated_at"`
}

const jobColumns = `job_id, request_id, connector_id, owner, role, action, status, detail, attempts, counts, exemptions, updated_at`

// Queries with '?' placeholders, named so that tests can check their plans.
const (
	listJobsQuery       = `SELECT ` + jobColumns + ` FROM jobs WHERE request_id = ? ORDER BY connector_id, action, job_id`
	jobStatsQuery       = `SELECT connector_id, status, count(*) FROM jobs GROUP BY connector_id, status`
	jobStatsSinceQuery  = `SELECT connector_id, status, count(*) FROM jobs WHERE updated_at >= ? GROUP BY connector_id, status`
	listJobRecordsQuery = `SELECT job_id, records FROM job_records WHERE request_id = ?`
)

func (r jobRow) job() (Job, error) {
	j := Job{
		JobID: r.JobID, RequestID: r.RequestID, ConnectorID: r.ConnectorID, Owner: r.Owner, Role: r.Role,
		Action: r.Action, Status: r.Status, Detail: r.Detail, Attempts: r.Attempts,
		Exemptions: nilIfEmpty(r.Exemptions), UpdatedAt: r.UpdatedAt.Time,
	}
	if err := json.Unmarshal([]byte(r.Counts), &j.Counts); err != nil {
		return j, fmt.Errorf("job %s: counts: %w", r.JobID, err)
	}
	if len(j.Counts) == 0 {
		j.Counts = nil
	}
	return j, nil
}

// PutJob inserts j, or replaces the stored job with the same JobID. A zero UpdatedAt is set to now. It
// returns EINVALID when the job, request or connector id, the action or the status is missing, and
// ENOTFOUND when the request does not exist.
func (s *Store) PutJob(ctx context.Context, j Job) error {
	if j.JobID == "" || j.RequestID == "" || j.ConnectorID == "" || j.Action == "" || j.Status == "" {
		return dsrflow.Errorf(dsrflow.EINVALID, "job needs job, request and connector ids, action and status")
	}
	if j.UpdatedAt.IsZero() {
		j.UpdatedAt = time.Now()
	}
	counts := []byte("{}")
	if len(j.Counts) > 0 {
		var err error
		if counts, err = json.Marshal(j.Counts); err != nil {
			return fmt.Errorf("put job %s: counts: %w", j.JobID, err)
		}
	}
	var exemptions any
	if len(j.Exemptions) > 0 {
		exemptions = j.Exemptions
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO jobs (`+jobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET
			request_id = excluded.request_id, connector_id = excluded.connector_id, owner = excluded.owner,
			role = excluded.role, action = excluded.action, status = excluded.status, detail = excluded.detail,
			attempts = excluded.attempts, counts = excluded.counts, exemptions = excluded.exemptions,
			updated_at = excluded.updated_at`),
		j.JobID, j.RequestID, j.ConnectorID, j.Owner, j.Role, j.Action, j.Status, j.Detail, j.Attempts,
		string(counts), exemptions, s.timeArg(j.UpdatedAt))
	if err != nil {
		return writeErr(err, "put job "+j.JobID, j.RequestID)
	}
	return nil
}

// ListJobs returns the jobs of a request ordered by connector id, then action, then job id.
func (s *Store) ListJobs(ctx context.Context, requestID string) ([]Job, error) {
	var rows []jobRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(listJobsQuery), requestID)
	if err != nil {
		return nil, fmt.Errorf("list jobs of request %s: %w", requestID, err)
	}
	out := make([]Job, len(rows))
	for i, r := range rows {
		if out[i], err = r.job(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// JobStats counts the jobs updated at or after since by connector, then status, for metrics. A zero
// since counts every job.
func (s *Store) JobStats(ctx context.Context, since time.Time) (map[string]map[string]int, error) {
	q, args := jobStatsQuery, []any(nil)
	if !since.IsZero() {
		q, args = jobStatsSinceQuery, []any{s.timeArg(since)}
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("job stats: %w", err)
	}
	out, err := scanCounts(rows)
	if err != nil {
		return nil, fmt.Errorf("job stats: %w", err)
	}
	return out, nil
}

// PutJobRecords stores the subject's data an access job returned (opaque JSON, personal data, encrypted
// under the request's data key), replacing what was stored for the job. The request must exist:
// ENOTFOUND otherwise.
func (s *Store) PutJobRecords(ctx context.Context, jobID, requestID string, records []byte) error {
	if jobID == "" || requestID == "" {
		return dsrflow.Errorf(dsrflow.EINVALID, "job records need a job id and a request id")
	}
	k, err := s.requestKey(ctx, s.db, requestID)
	if err != nil {
		return err
	}
	sealed, err := k.seal(jobRecordsPlace(jobID), records)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO job_records (job_id, request_id, records) VALUES (?, ?, ?)
		ON CONFLICT (job_id) DO UPDATE SET request_id = excluded.request_id, records = excluded.records`),
		jobID, requestID, sealed)
	if err != nil {
		return writeErr(err, "put records of job "+jobID, requestID)
	}
	return nil
}

// ListJobRecords returns the records stored for the request's jobs, by job id (empty records read back
// as nil). It returns EGONE once the request was shredded.
func (s *Store) ListJobRecords(ctx context.Context, requestID string) (map[string][]byte, error) {
	var rows []struct {
		JobID   string `db:"job_id"`
		Records []byte `db:"records"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.rebind(listJobRecordsQuery), requestID); err != nil {
		return nil, fmt.Errorf("list job records of request %s: %w", requestID, err)
	}
	if len(rows) == 0 {
		if err := s.missing(ctx, requestID, dsrflow.Errorf(dsrflow.ENOTFOUND, "no records")); dsrflow.ErrorCode(err) == dsrflow.EGONE {
			return nil, err
		}
		return map[string][]byte{}, nil
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(rows))
	for _, r := range rows {
		if out[r.JobID], err = k.open(jobRecordsPlace(r.JobID), r.Records); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func jobRecordsPlace(jobID string) string { return "job_records.records:" + jobID }

// MoveJobRecords files the records stored under from (a team's answer to a manual task, put by the
// front door) under the job id to, replacing any there, sealed anew for their new place. Records no
// longer under from (moved by an earlier try) are not an error: it is idempotent.
func (s *Store) MoveJobRecords(ctx context.Context, requestID, from, to string) error {
	if from == "" || to == "" || from == to {
		return dsrflow.Errorf(dsrflow.EINVALID, "moving job records needs two different job ids")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sealed []byte
		err := tx.GetContext(ctx, &sealed, s.rebind(`SELECT records FROM job_records WHERE job_id = ? AND request_id = ?`), from, requestID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read records of job %s: %w", from, err)
		}
		k, err := s.readKey(ctx, tx, requestID)
		if err != nil {
			return err
		}
		plain, err := k.open(jobRecordsPlace(from), sealed)
		if err != nil {
			return err
		}
		if sealed, err = k.seal(jobRecordsPlace(to), plain); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`
			INSERT INTO job_records (job_id, request_id, records) VALUES (?, ?, ?)
			ON CONFLICT (job_id) DO UPDATE SET request_id = excluded.request_id, records = excluded.records`), to, requestID, sealed); err != nil {
			return writeErr(err, "put records of job "+to, requestID)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM job_records WHERE job_id = ?`), from); err != nil {
			return fmt.Errorf("delete records of job %s: %w", from, err)
		}
		return nil
	})
}

// DeleteJobRecordsOf deletes the records stored under one job id of the request (a team's answer the
// workflow refused); none is not an error.
func (s *Store) DeleteJobRecordsOf(ctx context.Context, requestID, jobID string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM job_records WHERE request_id = ? AND job_id = ?`), requestID, jobID); err != nil {
		return fmt.Errorf("delete records of job %s: %w", jobID, err)
	}
	return nil
}

// DeleteJobRecords deletes every job record of the request; none is not an error.
func (s *Store) DeleteJobRecords(ctx context.Context, requestID string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM job_records WHERE request_id = ?`), requestID); err != nil {
		return fmt.Errorf("delete job records of request %s: %w", requestID, err)
	}
	return nil
}
