package store

import (
	"context"
	"fmt"
	"time"
)

// countOpenDueQuery counts open requests due before the second bound, and among them those due before the
// first; it reads only the requests_open_due index range, not every request.
const countOpenDueQuery = `SELECT COALESCE(SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END), 0), count(*)
	FROM requests WHERE closed_at IS NULL AND due_at < ?`

// CountOpenDue counts the open (not closed) requests due strictly before now (overdue) and those due
// strictly before soon, overdue ones included (as ListRequests with Open and DueBefore), for metrics.
func (s *Store) CountOpenDue(ctx context.Context, now, soon time.Time) (overdue, dueBeforeSoon int, err error) {
	row := s.db.QueryRowContext(ctx, s.rebind(countOpenDueQuery), s.timeArg(now), s.timeArg(soon))
	if err := row.Scan(&overdue, &dueBeforeSoon); err != nil {
		return 0, 0, fmt.Errorf("count open requests by due date: %w", err)
	}
	return overdue, dueBeforeSoon, nil
}

// ClosedRequest is when a closed request was received, due and closed, for answer-time statistics.
type ClosedRequest struct {
	Status                      string
	ReceivedAt, DueAt, ClosedAt time.Time
}

// ClosedSince returns the requests closed at or after since, oldest first (the requests_closed index).
func (s *Store) ClosedSince(ctx context.Context, since time.Time) ([]ClosedRequest, error) {
	var rows []struct {
		Status     string `db:"status"`
		ReceivedAt dbTime `db:"received_at"`
		DueAt      dbTime `db:"due_at"`
		ClosedAt   dbTime `db:"closed_at"`
	}
	err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT status, received_at, due_at, closed_at FROM requests
		WHERE closed_at IS NOT NULL AND closed_at >= ? ORDER BY closed_at`), s.timeArg(since))
	if err != nil {
		return nil, fmt.Errorf("list closed requests: %w", err)
	}
	out := make([]ClosedRequest, len(rows))
	for i, r := range rows {
		out[i] = ClosedRequest{Status: r.Status, ReceivedAt: r.ReceivedAt.Time, DueAt: r.DueAt.Time, ClosedAt: r.ClosedAt.Time}
	}
	return out, nil
}
