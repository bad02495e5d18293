package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Message is an email in the outbox, waiting (SentAt nil) or sent. To and Body are personal data: they
// are stored here and never put into errors or logs.
type Message struct {
	ID, RequestID, Kind, To, Subject, Body string
	CreatedAt                              time.Time
	SentAt                                 *time.Time
	Attempts                               int
	LastError                              string
}

type messageRow struct {
	ID        string `db:"id"`
	RequestID string `db:"request_id"`
	Kind      string `db:"kind"`
	To        string `db:"to_addr"`
	Subject   string `db:"subject"`
	Body      string `db:"body"`
	CreatedAt dbTime `db:"created_at"`
	SentAt    dbTime `db:"sent_at"`
	Attempts  int    `db:"attempts"`
	LastError string `db:"last_error"`
}

const messageColumns = `id, request_id, kind, to_addr, subject, body, created_at, sent_at, attempts, last_error`

func (r messageRow) message() Message {
	return Message{
		ID: r.ID, RequestID: r.RequestID, Kind: r.Kind, To: r.To, Subject: r.Subject, Body: r.Body,
		CreatedAt: r.CreatedAt.Time, SentAt: r.SentAt.ptr(), Attempts: r.Attempts, LastError: r.LastError,
	}
}

// EnqueueMessage stores m as pending (SentAt, Attempts and LastError are ignored) and returns it as
// stored. It is idempotent by ID: if a message with m.ID exists, that message is returned unchanged,
// so a retried activity never sends twice. A zero CreatedAt is set to now.
func (s *Store) EnqueueMessage(ctx context.Context, m Message) (Message, error) {
	if m.ID == "" || m.Kind == "" || m.To == "" {
		return Message{}, dsrflow.Errorf(dsrflow.EINVALID, "message needs id, kind and recipient")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO outbox (id, request_id, kind, to_addr, subject, body, created_at, attempts, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, '')
		ON CONFLICT (id) DO NOTHING`),
		m.ID, m.RequestID, m.Kind, m.To, m.Subject, m.Body, s.timeArg(m.CreatedAt))
	if err != nil {
		return Message{}, fmt.Errorf("enqueue message %s: %w", m.ID, err)
	}
	return s.getMessage(ctx, m.ID)
}

func (s *Store) getMessage(ctx context.Context, id string) (Message, error) {
	var row messageRow
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT `+messageColumns+` FROM outbox WHERE id = ?`), id)
	if err != nil {
		return Message{}, notFound(err, "get message "+id, "message %s not found", id)
	}
	return row.message(), nil
}

// OutboxFilter selects messages; zero fields select everything.
type OutboxFilter struct {
	To          string
	RequestID   string
	PendingOnly bool // only messages not yet sent
	Limit       int  // at most this many; 0 means 100
}

// ListOutbox returns the messages matching f, oldest first (then by ID).
func (s *Store) ListOutbox(ctx context.Context, f OutboxFilter) ([]Message, error) {
	var where []string
	var args []any
	if f.To != "" {
		where, args = append(where, "to_addr = ?"), append(args, f.To)
	}
	if f.RequestID != "" {
		where, args = append(where, "request_id = ?"), append(args, f.RequestID)
	}
	if f.PendingOnly {
		where = append(where, "sent_at IS NULL")
	}
	q := `SELECT ` + messageColumns + ` FROM outbox`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at, id LIMIT ?`
	args = append(args, limit(f.Limit))

	var rows []messageRow
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	out := make([]Message, len(rows))
	for i, r := range rows {
		out[i] = r.message()
	}
	return out, nil
}

// MarkSent records that the message was sent at at. It returns ENOTFOUND for an unknown ID and ECONFLICT
// if the message was already marked sent: the first record stands.
func (s *Store) MarkSent(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL`), s.timeArg(at), id)
	if err != nil {
		return fmt.Errorf("mark message %s sent: %w", id, err)
	}
	return s.pendingUpdated(ctx, res, id, "mark message "+id+" sent")
}

// MarkFailed records a failed sending attempt: attempts goes up by one and errText is kept as the last
// error. It returns ENOTFOUND for an unknown ID and ECONFLICT if the message was already sent.
func (s *Store) MarkFailed(ctx context.Context, id string, errText string) error {
	const maxErr = 2000 // a bounded column value; SMTP transcripts can be long
	if len(errText) > maxErr {
		errText = strings.ToValidUTF8(errText[:maxErr], "")
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND sent_at IS NULL`), errText, id)
	if err != nil {
		return fmt.Errorf("mark message %s failed: %w", id, err)
	}
	return s.pendingUpdated(ctx, res, id, "mark message "+id+" failed")
}

// pendingUpdated explains an update guarded by "sent_at IS NULL" that changed no row.
func (s *Store) pendingUpdated(ctx context.Context, res interface{ RowsAffected() (int64, error) }, id, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := s.getMessage(ctx, id); err != nil {
		return err
	}
	return dsrflow.Errorf(dsrflow.ECONFLICT, "message %s was already sent", id)
}
