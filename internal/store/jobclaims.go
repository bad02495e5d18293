package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
)

// JobIssued is the status of a job sent to a connector whose answer has not come: the only status in
// which a connector's callback for it is accepted.
const JobIssued = "issued"

// IssueJob records that the job was sent to its connector and awaits an answer (status JobIssued), so
// that a callback for it is accepted once (ClaimJobResult). A job issued again (a retried submission)
// is open again. ENOTFOUND when the request does not exist.
func (s *Store) IssueJob(ctx context.Context, j Job) error {
	j.Status, j.Detail, j.Counts, j.Exemptions = JobIssued, "", nil, nil
	return s.PutJob(ctx, j)
}

// ClaimJobResult takes the result of an issued job for its connector: the job leaves JobIssued for
// status in one statement, so that of two callbacks for one job exactly one gets through, and none
// after the job finished. It returns ECONFLICT when no such job was issued to that connector or the job
// is no longer open.
func (s *Store) ClaimJobResult(ctx context.Context, jobID, connectorID, status string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE jobs SET status = ?, updated_at = ? WHERE job_id = ? AND connector_id = ? AND status = ?`),
		status, s.timeArg(at), jobID, connectorID, JobIssued)
	if err != nil {
		return fmt.Errorf("claim result of job %s: %w", jobID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("claim result of job %s: %w", jobID, err)
	} else if n == 1 {
		return nil
	}
	var owner string
	err = s.db.GetContext(ctx, &owner, s.rebind(`SELECT connector_id FROM jobs WHERE job_id = ?`), jobID)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && owner != connectorID:
		return dsrflow.Errorf(dsrflow.ECONFLICT, "job %s was not issued to this connector", jobID)
	case err != nil:
		return fmt.Errorf("claim result of job %s: %w", jobID, err)
	}
	return dsrflow.Errorf(dsrflow.ECONFLICT, "job %s is not waiting for a result", jobID)
}

// ReopenJob undoes ClaimJobResult when the result could not be delivered (its records not stored, the
// workflow not told), so that the connector's retry is accepted. It changes nothing when the job moved
// on since.
func (s *Store) ReopenJob(ctx context.Context, jobID, claimedStatus string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE jobs SET status = ? WHERE job_id = ? AND status = ?`), JobIssued, jobID, claimedStatus)
	if err != nil {
		return fmt.Errorf("reopen job %s: %w", jobID, err)
	}
	return nil
}
