package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/jmoiron/sqlx"
)

// Delivery of the outbox (migration 0003): a dispatcher claims due messages for a lease, sends them, and
// records each as sent (MarkSent) or deferred to a later attempt (DeferMessage). Claims keep concurrent
// dispatchers, in one process or several, from sending the same message at once; a claim that runs out
// because its dispatcher died lets another take the message over.

// ClaimOutbox claims up to limit pending messages (0 means 100) that are due at now: not sent, not
// claimed by anyone until after now, and with no later next attempt. Each is claimed until now+lease,
// atomically: two concurrent calls never return the same message while its claim lasts. Messages come
// oldest first (then by ID), with every field filled.
//
// The claim is only as good as the callers' clocks agree: dispatchers compare leases written with their
// own now. Callers should finish with a message well within the lease.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error) {
	if lease <= 0 {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "claim lease must be positive")
	}
	if limit <= 0 {
		limit = 100
	}
	lock := ""
	if s.dialect == Postgres {
		// Rows another claimer is updating are skipped, not waited for; a row it claimed in the meantime
		// is rechecked against the WHERE clause once locked (READ COMMITTED), so it drops out.
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	q := s.rebind(`
		UPDATE outbox SET claimed_until = ?
		WHERE id IN (
			SELECT id FROM outbox
			WHERE sent_at IS NULL
			  AND (claimed_until IS NULL OR claimed_until <= ?)
			  AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
			ORDER BY created_at, id
			LIMIT ?` + lock + `)
		RETURNING ` + messageColumns)
	var rows []messageRow
	// On SQLite the transaction is BEGIN IMMEDIATE (see OpenSQLite): it holds the write lock from the
	// start, so a claimer in another process cannot pick the same rows between the select and the update.
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, q, s.timeArg(now.Add(lease)), s.timeArg(now), s.timeArg(now), limit)
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	// RETURNING follows no ORDER BY.
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].CreatedAt.Time.Equal(rows[j].CreatedAt.Time) {
			return rows[i].CreatedAt.Time.Before(rows[j].CreatedAt.Time)
		}
		return rows[i].ID < rows[j].ID
	})
	// Decrypted after the claim's transaction: on SQLite it holds the store's one connection.
	out := make([]Message, 0, len(rows))
	keys := messageKeys{}
	for _, r := range rows {
		m, err := s.message(ctx, r, keys, true)
		if err != nil {
			return nil, fmt.Errorf("claim outbox: %w", err)
		}
		if m.ShreddedAt != nil {
			// Queued as its request was being shredded: it can never be sent, and must not block others.
			if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM outbox WHERE id = ? AND sent_at IS NULL`), m.ID); err != nil {
				return nil, fmt.Errorf("claim outbox: drop message %s of a shredded request: %w", m.ID, err)
			}
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// DeferMessage records a failed sending attempt and when to try again: attempts goes up by one, errText
// is kept as the last error (the caller keeps personal data out of it: SMTP replies may quote the
// recipient), the next attempt is not before next, and the claim is released. It returns ENOTFOUND for
// an unknown ID and ECONFLICT if the message was already sent.
func (s *Store) DeferMessage(ctx context.Context, id, errText string, next time.Time) error {
	const maxErr = 2000 // as MarkFailed
	if len(errText) > maxErr {
		errText = strings.ToValidUTF8(errText[:maxErr], "")
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`
		UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_until = NULL
		WHERE id = ? AND sent_at IS NULL`), errText, s.timeArg(next), id)
	if err != nil {
		return fmt.Errorf("defer message %s: %w", id, err)
	}
	return s.pendingUpdated(ctx, res, id, "defer message "+id)
}
