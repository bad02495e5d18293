package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
)

// The support team's work queue (migration 0022): who handles a request, and the team's internal notes.

// SetAssignee records who handles the request (a principal id; "" for nobody). It returns ENOTFOUND when
// there is no such request.
func (s *Store) SetAssignee(ctx context.Context, requestID, assignee string) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE requests SET assignee = ? WHERE id = ?`), assignee, requestID)
	if err != nil {
		return fmt.Errorf("set assignee of request %s: %w", requestID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set assignee of request %s: %w", requestID, err)
	} else if n == 0 {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "request %s not found", requestID)
	}
	return nil
}

// Note is one internal note of the team on a request. Body is free text that may hold personal data.
type Note struct {
	ID        int64
	RequestID string
	Author    string
	At        time.Time
	Body      string
}

type noteRow struct {
	ID        int64  `db:"id"`
	RequestID string `db:"request_id"`
	Author    string `db:"author"`
	At        dbTime `db:"at"`
	Body      []byte `db:"body"`
}

// AddNote stores a note, its body sealed under the request's data key, and returns its id. It returns
// ENOTFOUND for an unknown request and EGONE once the request's data was shredded.
func (s *Store) AddNote(ctx context.Context, n Note) (int64, error) {
	if n.RequestID == "" || n.Author == "" || n.Body == "" || n.At.IsZero() {
		return 0, dsrflow.Errorf(dsrflow.EINVALID, "a note needs a request, an author, a text and a time")
	}
	k, err := s.requestKey(ctx, s.db, n.RequestID)
	if err != nil {
		return 0, err
	}
	body, err := k.seal("request_notes.body", []byte(n.Body))
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.db.GetContext(ctx, &id, s.rebind(`INSERT INTO request_notes (request_id, author, at, body) VALUES (?, ?, ?, ?) RETURNING id`),
		n.RequestID, n.Author, s.timeArg(n.At), body)
	if err != nil {
		return 0, writeErr(err, "add note to request "+n.RequestID, n.RequestID)
	}
	return id, nil
}

// ListNotes returns the request's notes, oldest first. Once the request's data was shredded it returns
// EGONE (when it had notes).
func (s *Store) ListNotes(ctx context.Context, requestID string) ([]Note, error) {
	var rows []noteRow
	if err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT id, request_id, author, at, body FROM request_notes WHERE request_id = ? ORDER BY id`), requestID); err != nil {
		return nil, fmt.Errorf("list notes of request %s: %w", requestID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return nil, err
	}
	out := make([]Note, 0, len(rows))
	for _, r := range rows {
		body, err := k.open("request_notes.body", r.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, Note{ID: r.ID, RequestID: r.RequestID, Author: r.Author, At: r.At.Time, Body: string(body)})
	}
	return out, nil
}
