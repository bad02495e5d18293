package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/jmoiron/sqlx"
)

// Intake is one transaction (migration 0009): the request's index row, the subject's detail and the
// complete input of its workflow as a pending start. Either all three exist or none does, so a crash
// at any point of intake leaves nothing, or a request the reconciler can start from what was stored.
// The unique index requests_one_open makes a second open request per subject and type impossible,
// whichever front door writes it.

// PendingStart is a recorded request whose workflow may not have started yet: Input is the workflow's
// complete input (JSON, opaque to the store), personal data, sealed under the request's data key.
type PendingStart struct {
	RequestID string
	Input     []byte
	CreatedAt time.Time
}

const pendingPlace = "pending_starts.input"

// CreateRequest records a new request in one transaction: r (which must be open), the subject's detail
// d and the workflow's input as a pending start. When the subject already has an open request of the
// type, it returns ECONFLICT naming that request's id (Fields["existing_id"]) and writes nothing.
func (s *Store) CreateRequest(ctx context.Context, r Request, d RequestDetail, input []byte) error {
	if r.ID == "" || r.Type == "" || r.Status == "" || r.ReceivedAt.IsZero() || r.DueAt.IsZero() || r.ClosedAt != nil {
		return dsrflow.Errorf(dsrflow.EINVALID, "a new request needs id, type, status, received and due dates, and must be open")
	}
	if len(input) == 0 {
		return dsrflow.Errorf(dsrflow.EINVALID, "a new request needs its workflow input")
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now()
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		k, err := s.writeKey(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		identity, details, err := k.sealDetail(d)
		if err != nil {
			return err
		}
		sealed, err := k.seal(pendingPlace, input)
		if err != nil {
			return err
		}
		// The row after the key and the sealing: a refused duplicate costs the same work as a new
		// request, so the privacy center's answer time tells nothing (issue 14).
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO requests (`+requestColumns+`, residence, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`),
			r.ID, string(r.Type), string(r.Status), r.Country, r.Jurisdiction, s.timeArg(r.ReceivedAt), s.timeArg(r.DueAt),
			s.nullTimeArg(r.ExtendedDueAt), s.timeArg(r.UpdatedAt), r.SubjectKey, r.Residence, r.Language); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO request_details (request_id, identity, details) VALUES (?, ?, ?)`),
			r.ID, identity, details); err != nil {
			return err
		}
		if d.Agent != nil {
			a := *d.Agent
			a.RequestID = r.ID
			if err := s.putAgent(ctx, tx, k, a); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO pending_starts (request_id, input, created_at) VALUES (?, ?, ?)`),
			r.ID, sealed, s.timeArg(r.UpdatedAt))
		return err
	})
	if err == nil {
		return nil
	}
	if isUniqueViolation(err) && r.SubjectKey != "" {
		// Read after the rollback: the winner committed before the index refused this row.
		if winner, ferr := s.FindOpenRequest(ctx, r.SubjectKey, string(r.Type)); ferr == nil {
			return OpenConflict(string(r.Type), winner.ID)
		}
	}
	if code := dsrflow.ErrorCode(err); code != dsrflow.EINTERNAL {
		return err
	}
	return fmt.Errorf("create request %s: %w", r.ID, err)
}

// OpenConflict is the error for a subject's second open request of a type: ECONFLICT naming the open
// one in the message and in Fields["existing_id"].
func OpenConflict(typ, existingID string) *dsrflow.Error {
	e := dsrflow.Errorf(dsrflow.ECONFLICT, "an open %s request for this subject exists: %s", typ, existingID)
	e.Fields = map[string]string{"existing_id": existingID}
	return e
}

// GetPendingStart returns the request's pending start: ENOTFOUND when there is none (its workflow
// started, or it never had one), EGONE once the request was shredded.
func (s *Store) GetPendingStart(ctx context.Context, requestID string) (PendingStart, error) {
	var row struct {
		Input     []byte `db:"input"`
		CreatedAt dbTime `db:"created_at"`
	}
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT input, created_at FROM pending_starts WHERE request_id = ?`), requestID)
	if err != nil {
		return PendingStart{}, notFound(err, "get pending start of "+requestID, "request %s has no pending start", requestID)
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return PendingStart{}, err
	}
	input, err := k.open(pendingPlace, row.Input)
	if err != nil {
		return PendingStart{}, err
	}
	return PendingStart{RequestID: requestID, Input: input, CreatedAt: row.CreatedAt.Time}, nil
}

// DropPendingStart deletes the request's pending start, once its workflow runs. Dropping one that is
// not there changes nothing.
func (s *Store) DropPendingStart(ctx context.Context, requestID string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM pending_starts WHERE request_id = ?`), requestID); err != nil {
		return fmt.Errorf("drop pending start of %s: %w", requestID, err)
	}
	return nil
}

// PendingStarts returns the ids of the requests with a pending start created before createdBefore,
// oldest first, at most n (0 means 100).
func (s *Store) PendingStarts(ctx context.Context, createdBefore time.Time, n int) ([]string, error) {
	var ids []string
	err := s.db.SelectContext(ctx, &ids, s.rebind(`SELECT request_id FROM pending_starts WHERE created_at < ? ORDER BY created_at, request_id LIMIT ?`),
		s.timeArg(createdBefore), limit(n))
	if err != nil {
		return nil, fmt.Errorf("list pending starts: %w", err)
	}
	return ids, nil
}

// OpenRequestsAfter returns open requests with an id greater than after, in id order, at most n (0
// means 100): a walk over every open request, page by page.
func (s *Store) OpenRequestsAfter(ctx context.Context, after string, n int) ([]Request, error) {
	var rows []requestRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT `+requestReadColumns+` FROM requests WHERE closed_at IS NULL AND id > ? ORDER BY id LIMIT ?`), after, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list open requests: %w", err)
	}
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = r.request()
	}
	return out, nil
}

// CloseOpenRequest closes the request with status at time at, only if it is still open, and drops its
// pending start. It reports whether it closed it: of several callers at once, exactly one gets true.
// It returns ENOTFOUND when there is no such request.
func (s *Store) CloseOpenRequest(ctx context.Context, id, status string, at time.Time) (bool, error) {
	if id == "" || status == "" || at.IsZero() || !dsrflow.Status(status).Closed() {
		return false, dsrflow.Errorf(dsrflow.EINVALID, "closing a request needs its id, a closed status and a time")
	}
	var closed bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE requests SET status = ?, closed_at = ?, updated_at = ? WHERE id = ? AND closed_at IS NULL`),
			status, s.timeArg(at), s.timeArg(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var c int
			if err := tx.GetContext(ctx, &c, s.rebind(`SELECT count(*) FROM requests WHERE id = ?`), id); err != nil {
				return err
			}
			if c == 0 {
				return dsrflow.Errorf(dsrflow.ENOTFOUND, "request %s not found", id)
			}
			return nil
		}
		closed = true
		_, err = tx.ExecContext(ctx, s.rebind(`DELETE FROM pending_starts WHERE request_id = ?`), id)
		return err
	})
	if err != nil && dsrflow.ErrorCode(err) == dsrflow.EINTERNAL {
		return false, fmt.Errorf("close request %s: %w", id, err)
	}
	return closed, err
}

// openDuplicatesMigration is the migration that makes one open request per subject and type a rule.
const openDuplicatesMigration = 9

// checkOpenDuplicates refuses, before migration 0009 creates its unique index, a store where a subject
// already has several open requests of one type (written by several front doors before the index
// existed). Closing one of them behind its running workflow's back would be a lie the workflow later
// contradicts, so the operator decides; the message names the later requests (ids hold no personal data).
func (s *Store) checkOpenDuplicates(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT r.id FROM requests r
		WHERE r.closed_at IS NULL AND r.subject_key <> '' AND EXISTS (
			SELECT 1 FROM requests o WHERE o.subject_key = r.subject_key AND o.type = r.type AND o.closed_at IS NULL
			AND (o.received_at < r.received_at OR (o.received_at = r.received_at AND o.id < r.id)))
		ORDER BY r.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	return dsrflow.Errorf(dsrflow.ECONFLICT, "the store holds %d open requests that duplicate an earlier open request of the same subject and type "+
		"(made by several front doors at once before this version): %s. Migration 0009 makes such duplicates impossible and "+
		"cannot be applied while they exist: with the previous version, cancel each (`starter cancel ID --reason duplicate`) "+
		"or let it finish, then run `starter migrate` again", len(ids), strings.Join(ids, ", "))
}
