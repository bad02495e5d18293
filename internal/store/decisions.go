package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Decision values (dsrflow.Decision).
const (
	DecisionApprove = dsrflow.DecisionApprove
	DecisionReject  = dsrflow.DecisionReject
)

// Decision is a reviewer's vote on a request (dsrflow.DecisionRecord).
type Decision = dsrflow.DecisionRecord

const listDecisionsQuery = `SELECT request_id, reviewer, decision, sealed_reason, at FROM decisions WHERE request_id = ? ORDER BY at, reviewer`

type decisionRow struct {
	RequestID string `db:"request_id"`
	Reviewer  string `db:"reviewer"`
	Decision  string `db:"decision"`
	Reason    []byte `db:"sealed_reason"`
	At        dbTime `db:"at"`
}

func decisionPlace(reviewer string) string { return "decisions.reason:" + reviewer }

// AddDecision records d. A zero At is set to now. Each reviewer decides once per request: a second
// decision is ECONFLICT and the first stands. Decision must be "approve" or "reject" (EINVALID), and the
// request must exist (ENOTFOUND).
func (s *Store) AddDecision(ctx context.Context, d Decision) error {
	if d.RequestID == "" || d.Reviewer == "" {
		return dsrflow.Errorf(dsrflow.EINVALID, "decision needs a request id and a reviewer")
	}
	if !d.Decision.Valid() {
		return dsrflow.Errorf(dsrflow.EINVALID, "decision must be %s or %s", DecisionApprove, DecisionReject)
	}
	if d.At.IsZero() {
		d.At = time.Now()
	}
	var reason []byte
	if d.Reason != "" {
		k, err := s.requestKey(ctx, s.db, d.RequestID)
		if err != nil {
			return err
		}
		if reason, err = k.seal(decisionPlace(d.Reviewer), []byte(d.Reason)); err != nil {
			return err
		}
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO decisions (request_id, reviewer, decision, reason, sealed_reason, at) VALUES (?, ?, ?, '', ?, ?)
		ON CONFLICT (request_id, reviewer) DO NOTHING`),
		d.RequestID, d.Reviewer, string(d.Decision), reason, s.timeArg(d.At))
	if err != nil {
		return writeErr(err, "add decision on request "+d.RequestID, d.RequestID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("add decision on request %s: %w", d.RequestID, err)
	}
	if n == 0 {
		return dsrflow.Errorf(dsrflow.ECONFLICT, "this reviewer has already decided on request %s", d.RequestID)
	}
	return nil
}

// ListDecisions returns the decisions on a request in time order (then by reviewer); EGONE when a
// reason is among them and the request's personal data was shredded.
func (s *Store) ListDecisions(ctx context.Context, requestID string) ([]Decision, error) {
	var rows []decisionRow
	err := s.db.SelectContext(ctx, &rows, s.rebind(listDecisionsQuery), requestID)
	if err != nil {
		return nil, fmt.Errorf("list decisions on request %s: %w", requestID, err)
	}
	out := make([]Decision, len(rows))
	var k *dataKey
	for i, r := range rows {
		out[i] = Decision{RequestID: r.RequestID, Reviewer: r.Reviewer, Decision: dsrflow.Decision(r.Decision), At: r.At.Time}
		if len(r.Reason) == 0 {
			continue
		}
		if k == nil {
			key, err := s.readKey(ctx, s.db, requestID)
			if err != nil {
				return nil, err
			}
			k = &key
		}
		reason, err := k.open(decisionPlace(r.Reviewer), r.Reason)
		if err != nil {
			return nil, err
		}
		out[i].Reason = string(reason)
	}
	return out, nil
}
