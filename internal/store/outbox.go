package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Message is an email in the outbox, waiting (SentAt nil) or sent. To, Subject and Body are personal
// data: they rest encrypted under the request's data key (a message without a request has a data key of
// its own) and are never put into errors or logs.
type Message struct {
	ID, RequestID, Kind, To, Subject, Body string
	CreatedAt                              time.Time
	SentAt                                 *time.Time
	Attempts                               int
	LastError                              string
	// ShreddedAt is set, and To, Subject and Body are empty, when the request's personal data was
	// shredded (record retention); only unfiltered listings return such messages.
	ShreddedAt *time.Time
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
	Sealed    []byte `db:"sealed"`
}

// to_addr, subject and body are empty since migration 0006: sealed holds them, encrypted.
const messageColumns = `id, request_id, kind, to_addr, subject, body, created_at, sent_at, attempts, last_error, sealed`

// sealedMessage is what a message's sealed column holds.
type sealedMessage struct {
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
}

// messageOwner is whose data key encrypts a message.
func messageOwner(requestID, id string) string {
	if requestID != "" {
		return requestID
	}
	return "message:" + id
}

func messagePlace(id string) string { return "outbox.sealed:" + id }

// sealMessage encrypts m's personal fields under k.
func sealMessage(k dataKey, id string, m sealedMessage) ([]byte, error) {
	plain, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return k.seal(messagePlace(id), plain)
}

// messageKeys unwraps each data key once while rows are read.
type messageKeys map[string]struct {
	k   dataKey
	err error
}

// message decrypts a row. A message whose request was shredded comes back with ShreddedAt set and its
// personal fields empty when shredded is allowed, and as EGONE otherwise.
func (s *Store) message(ctx context.Context, r messageRow, keys messageKeys, shreddedOK bool) (Message, error) {
	m := Message{
		ID: r.ID, RequestID: r.RequestID, Kind: r.Kind,
		CreatedAt: r.CreatedAt.Time, SentAt: r.SentAt.ptr(), Attempts: r.Attempts, LastError: r.LastError,
	}
	if len(r.Sealed) == 0 {
		return m, fmt.Errorf("message %s: no sealed content", r.ID)
	}
	owner := messageOwner(r.RequestID, r.ID)
	e, ok := keys[owner]
	if !ok {
		e.k, e.err = s.readKey(ctx, s.db, owner)
		keys[owner] = e
	}
	if e.err != nil {
		var de *dsrflow.Error
		if shreddedOK && errors.As(e.err, &de) && de.Code == dsrflow.EGONE {
			at, err := s.ShreddedAt(ctx, owner)
			if err != nil {
				return m, err
			}
			m.ShreddedAt = at
			return m, nil
		}
		return m, e.err
	}
	plain, err := e.k.open(messagePlace(r.ID), r.Sealed)
	if err != nil {
		return m, err
	}
	var sm sealedMessage
	if err := json.Unmarshal(plain, &sm); err != nil {
		return m, fmt.Errorf("message %s: %w", r.ID, err)
	}
	m.To, m.Subject, m.Body = sm.To, sm.Subject, sm.Body
	return m, nil
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
	k, err := s.writeKey(ctx, s.db, messageOwner(m.RequestID, m.ID))
	if err != nil {
		return Message{}, err
	}
	sealed, err := sealMessage(k, m.ID, sealedMessage{To: m.To, Subject: m.Subject, Body: m.Body})
	if err != nil {
		return Message{}, err
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO outbox (id, request_id, kind, to_addr, subject, body, sealed, created_at, attempts, last_error)
		VALUES (?, ?, ?, '', '', '', ?, ?, 0, '')
		ON CONFLICT (id) DO NOTHING`),
		m.ID, m.RequestID, m.Kind, sealed, s.timeArg(m.CreatedAt))
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
	return s.message(ctx, row, messageKeys{}, false)
}

// OutboxFilter selects messages; zero fields select everything.
type OutboxFilter struct {
	// To selects the messages to this address. Addresses are encrypted, so the store decrypts the
	// messages the other fields select to compare: combine it with RequestID on a large outbox.
	To          string
	RequestID   string
	PendingOnly bool // only messages not yet sent
	Limit       int  // at most this many; 0 means 100
}

// ListOutbox returns the messages matching f, oldest first (then by ID). With a RequestID whose personal
// data was shredded it returns EGONE; without one, such messages come back with ShreddedAt set.
func (s *Store) ListOutbox(ctx context.Context, f OutboxFilter) ([]Message, error) {
	var where []string
	var args []any
	if f.RequestID != "" {
		if at, err := s.ShreddedAt(ctx, f.RequestID); err != nil {
			return nil, err
		} else if at != nil {
			return nil, gone(f.RequestID, *at)
		}
		where, args = append(where, "request_id = ?"), append(args, f.RequestID)
	}
	if f.PendingOnly {
		where = append(where, "sent_at IS NULL")
	}
	q := `SELECT ` + messageColumns + ` FROM outbox`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at, id`
	if f.To == "" {
		q += ` LIMIT ?`
		args = append(args, limit(f.Limit))
	}

	var rows []messageRow
	if err := s.db.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	out := []Message{}
	keys := messageKeys{}
	for _, r := range rows {
		m, err := s.message(ctx, r, keys, true)
		if err != nil {
			return nil, fmt.Errorf("list outbox: %w", err)
		}
		if f.To != "" && m.To != f.To {
			continue
		}
		if out = append(out, m); len(out) == limit(f.Limit) {
			break
		}
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
