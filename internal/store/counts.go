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
