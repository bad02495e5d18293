package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Request is a data-subject request as the index knows it: type, status, place and dates. It holds no
// personal data, so it can be searched and shown freely.
type Request = dsrflow.Request

type requestRow struct {
	ID            string `db:"id"`
	Type          string `db:"type"`
	Status        string `db:"status"`
	Country       string `db:"country"`
	Jurisdiction  string `db:"jurisdiction"`
	ReceivedAt    dbTime `db:"received_at"`
	DueAt         dbTime `db:"due_at"`
	ExtendedDueAt dbTime `db:"extended_due_at"`
	ClosedAt      dbTime `db:"closed_at"`
	UpdatedAt     dbTime `db:"updated_at"`
	SubjectKey    string `db:"subject_key"`
	Residence     string `db:"residence"`
	Language      string `db:"language"`
	Assignee      string `db:"assignee"`
}

// requestColumns are the columns every write carries: those of the schema's first versions, so that a
// store migrated only part way (the migrations' own tests) can still be written.
const requestColumns = `id, type, status, country, jurisdiction, received_at, due_at, extended_due_at, closed_at, updated_at, subject_key`

// requestReadColumns are requestColumns and the columns added later: migration 0023's residence and
// language (written by PutRequest only when set) and 0022's assignee (written by SetAssignee only).
const requestReadColumns = requestColumns + `, residence, language, assignee`

func (r requestRow) request() Request {
	return Request{
		ID: r.ID, Type: dsrflow.RequestType(r.Type), Status: dsrflow.Status(r.Status), Country: r.Country, Jurisdiction: r.Jurisdiction,
		ReceivedAt: r.ReceivedAt.Time, DueAt: r.DueAt.Time,
		ExtendedDueAt: r.ExtendedDueAt.ptr(), ClosedAt: r.ClosedAt.ptr(),
		UpdatedAt: r.UpdatedAt.Time, SubjectKey: r.SubjectKey, Residence: r.Residence, Language: r.Language, Assignee: r.Assignee,
	}
}

// PutRequest inserts r, or replaces the stored request with the same ID. A zero UpdatedAt is set to now.
// An empty SubjectKey, Residence or Language keeps the stored one: the key is set once, at intake, and a later write that does
// not carry it must not make the request unfindable by FindOpenRequest.
// It returns EINVALID when the ID, type, status or dates are missing.
func (s *Store) PutRequest(ctx context.Context, r Request) error {
	if r.ID == "" || r.Type == "" || r.Status == "" || r.ReceivedAt.IsZero() || r.DueAt.IsZero() {
		return dsrflow.Errorf(dsrflow.EINVALID, "request needs id, type, status, received and due dates")
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now()
	}
	cols, marks := requestColumns, "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
	args := []any{r.ID, string(r.Type), string(r.Status), r.Country, r.Jurisdiction, s.timeArg(r.ReceivedAt), s.timeArg(r.DueAt),
		s.nullTimeArg(r.ExtendedDueAt), s.nullTimeArg(r.ClosedAt), s.timeArg(r.UpdatedAt), r.SubjectKey}
	update := ""
	// Residence and language are written only when set, so a later write without them keeps them.
	for _, c := range []struct{ name, value string }{{"residence", r.Residence}, {"language", r.Language}} {
		if c.value != "" {
			cols, marks, args = cols+", "+c.name, marks+", ?", append(args, c.value)
			update += ",\n\t\t\t" + c.name + " = excluded." + c.name
		}
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO requests (`+cols+`) VALUES (`+marks+`)
		ON CONFLICT (id) DO UPDATE SET
			type = excluded.type, status = excluded.status, country = excluded.country,
			jurisdiction = excluded.jurisdiction, received_at = excluded.received_at,
			due_at = excluded.due_at, extended_due_at = excluded.extended_due_at,
			closed_at = excluded.closed_at, updated_at = excluded.updated_at,
			subject_key = CASE WHEN excluded.subject_key = '' THEN requests.subject_key ELSE excluded.subject_key END`+update),
		args...)
	if err != nil {
		return fmt.Errorf("put request %s: %w", r.ID, err)
	}
	return nil
}

// GetRequest returns the request with the given ID, or ENOTFOUND.
func (s *Store) GetRequest(ctx context.Context, id string) (Request, error) {
	var row requestRow
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT `+requestReadColumns+` FROM requests WHERE id = ?`), id)
	if err != nil {
		return Request{}, notFound(err, "get request "+id, "request %s not found", id)
	}
	return row.request(), nil
}

// SetRequestStatus records a new status at time at. closed says whether the request is finished with
// this status: true sets closed_at to at, false clears it, so the open list always matches the status.
// It returns ENOTFOUND when there is no such request.
func (s *Store) SetRequestStatus(ctx context.Context, id, status string, at time.Time, closed bool) error {
	if status == "" || at.IsZero() {
		return dsrflow.Errorf(dsrflow.EINVALID, "status and time are required")
	}
	var closedAt any
	if closed {
		closedAt = s.timeArg(at)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE requests SET status = ?, closed_at = ?, updated_at = ? WHERE id = ?`),
		status, closedAt, s.timeArg(at), id)
	if err != nil {
		return fmt.Errorf("set status of request %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set status of request %s: %w", id, err)
	} else if n == 0 {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "request %s not found", id)
	}
	return nil
}

// RequestFilter selects requests; zero fields select everything.
type RequestFilter struct {
	Status, Type, Country string
	Open                  bool      // only requests not closed
	DueBefore             time.Time // only requests due strictly before this time; zero means no bound
	// Overdue selects only open requests whose due date is strictly before Now (a zero Now means the
	// current time). It combines with the other fields like Open and DueBefore do.
	Overdue bool
	Now     time.Time
	// SubjectKey selects one subject's requests, open or closed (the console's search by email).
	SubjectKey string
	// Assignee selects the requests assigned to this principal id; Unassigned those assigned to nobody.
	Assignee   string
	Unassigned bool
	// Closed selects only closed requests (the queue's "closed" view).
	Closed bool
	// Desc orders by due date latest first.
	Desc   bool
	Limit  int // at most this many; 0 means 100
	Offset int // skip this many (the queue's pages)
}

// ListRequests returns the requests matching f, ordered by due date, then ID.
func (s *Store) ListRequests(ctx context.Context, f RequestFilter) ([]Request, error) {
	q, args := s.listRequestsQuery(f)
	var rows []requestRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = r.request()
	}
	return out, nil
}

// listRequestsQuery builds the query for f; separate so tests can check its plan uses the indexes.
func (s *Store) listRequestsQuery(f RequestFilter) (string, []any) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.Country != "" {
		where, args = append(where, "country = ?"), append(args, f.Country)
	}
	if f.SubjectKey != "" {
		where, args = append(where, "subject_key = ?"), append(args, f.SubjectKey)
	}
	if f.Assignee != "" {
		where, args = append(where, "assignee = ?"), append(args, f.Assignee)
	}
	if f.Unassigned {
		where = append(where, "assignee = ''")
	}
	if f.Open || f.Overdue {
		where = append(where, "closed_at IS NULL")
	}
	if f.Closed {
		where = append(where, "closed_at IS NOT NULL")
	}
	if !f.DueBefore.IsZero() {
		where, args = append(where, "due_at < ?"), append(args, s.timeArg(f.DueBefore))
	}
	if f.Overdue {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		where, args = append(where, "due_at < ?"), append(args, s.timeArg(now))
	}
	q := `SELECT ` + requestReadColumns + ` FROM requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.Desc {
		q += ` ORDER BY due_at DESC, id DESC LIMIT ?`
	} else {
		q += ` ORDER BY due_at, id LIMIT ?`
	}
	args = append(args, limit(f.Limit))
	if f.Offset > 0 {
		q += ` OFFSET ?`
		args = append(args, f.Offset)
	}
	return s.rebind(q), args
}

// FindOpenRequest returns the open (not closed) request of type typ for the subject with the given key;
// should there be several, the earliest received. It returns ENOTFOUND when there is none and EINVALID
// for an empty key or type (requests recorded without a key must never match each other).
func (s *Store) FindOpenRequest(ctx context.Context, subjectKey, typ string) (Request, error) {
	if subjectKey == "" || typ == "" {
		return Request{}, dsrflow.Errorf(dsrflow.EINVALID, "finding an open request needs a subject key and a type")
	}
	var row requestRow
	err := s.db.GetContext(ctx, &row, s.findOpenRequestQuery(), subjectKey, typ)
	if err != nil {
		// The key identifies the subject, so it stays out of the message.
		return Request{}, notFound(err, "find open request", "no open %s request for this subject", typ)
	}
	return row.request(), nil
}

// findOpenRequestQuery is separate so tests can check its plan uses requests_open_subject.
func (s *Store) findOpenRequestQuery() string {
	return s.rebind(`SELECT ` + requestReadColumns + ` FROM requests
		WHERE subject_key = ? AND type = ? AND closed_at IS NULL
		ORDER BY received_at, id LIMIT 1`)
}

// CountRequests returns the number of requests by type, then status, for metrics and dashboards.
func (s *Store) CountRequests(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT type, status, count(*) FROM requests GROUP BY type, status`)
	if err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	out, err := scanCounts(rows)
	if err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	return out, nil
}
