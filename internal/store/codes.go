package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/jmoiron/sqlx"
)

// Code is the live verification code of a request. The store keeps only Hash, a keyed hash of the code
// computed by the caller; the code itself is never stored.
type Code struct {
	RequestID, Hash string
	ExpiresAt       time.Time
	AttemptsLeft    int        // wrong guesses still allowed; 0 means the code is dead until a new one is issued
	Resends         int        // codes issued as resends for this request
	VerifiedAt      *time.Time // when a correct code was checked; nil until then
	IssuedAt        time.Time
}

type codeRow struct {
	RequestID    string `db:"request_id"`
	Hash         string `db:"hash"`
	IssuedAt     dbTime `db:"issued_at"`
	ExpiresAt    dbTime `db:"expires_at"`
	AttemptsLeft int    `db:"attempts_left"`
	Resends      int    `db:"resends"`
	VerifiedAt   dbTime `db:"verified_at"`
}

const codeColumns = `request_id, hash, issued_at, expires_at, attempts_left, resends, verified_at`

func (r codeRow) code() Code {
	return Code{
		RequestID: r.RequestID, Hash: r.Hash, ExpiresAt: r.ExpiresAt.Time, AttemptsLeft: r.AttemptsLeft,
		Resends: r.Resends, VerifiedAt: r.VerifiedAt.ptr(), IssuedAt: r.IssuedAt.Time,
	}
}

// IssueCode makes hash the live code of the request, replacing any previous one: new hash, new issue
// and expiry times, attempts reset to attempts. resend says the subject asked for the code again: it is
// counted, and refused with ECONFLICT when Resends already equals maxResends; a first issue (resend
// false) keeps the count. Issuing for a request already verified is ECONFLICT. The request must exist:
// ENOTFOUND otherwise. It returns the code as stored.
func (s *Store) IssueCode(ctx context.Context, requestID, hash string, issuedAt, expiresAt time.Time, attempts int, resend bool, maxResends int) (Code, error) {
	if requestID == "" || hash == "" || issuedAt.IsZero() || !expiresAt.After(issuedAt) || attempts <= 0 || maxResends < 0 {
		return Code{}, dsrflow.Errorf(dsrflow.EINVALID, "a code needs a request id, a hash, an expiry after its issue time, attempts above 0 and a resend limit of 0 or more")
	}
	c := Code{RequestID: requestID, Hash: hash, IssuedAt: micro(issuedAt), ExpiresAt: micro(expiresAt), AttemptsLeft: attempts}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Serialise issuers of one request on its row (NO KEY UPDATE does not block the foreign key
		// checks of other tables); on SQLite the transaction already holds the write lock.
		lock := ""
		if s.dialect == Postgres {
			lock = " FOR NO KEY UPDATE"
		}
		var id string
		if err := tx.GetContext(ctx, &id, s.rebind(`SELECT id FROM requests WHERE id = ?`+lock), requestID); err != nil {
			return notFound(err, "lock request", "request %s not found", requestID)
		}
		// Lock the code row too, so that a concurrent CheckCode's verification is seen, not overwritten.
		var old codeRow
		err := tx.GetContext(ctx, &old, s.rebind(`SELECT `+codeColumns+` FROM verification_codes WHERE request_id = ?`+s.forUpdate()), requestID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read code: %w", err)
		case old.VerifiedAt.Valid:
			return dsrflow.Errorf(dsrflow.ECONFLICT, "request %s is already verified", requestID)
		default:
			c.Resends = old.Resends
		}
		if resend {
			if c.Resends >= maxResends {
				return dsrflow.Errorf(dsrflow.ECONFLICT, "no resends left for request %s", requestID)
			}
			c.Resends++
		}
		_, err = tx.ExecContext(ctx, s.rebind(`
			INSERT INTO verification_codes (`+codeColumns+`) VALUES (?, ?, ?, ?, ?, ?, NULL)
			ON CONFLICT (request_id) DO UPDATE SET
				hash = excluded.hash, issued_at = excluded.issued_at, expires_at = excluded.expires_at,
				attempts_left = excluded.attempts_left, resends = excluded.resends, verified_at = NULL`),
			c.RequestID, c.Hash, s.timeArg(c.IssuedAt), s.timeArg(c.ExpiresAt), c.AttemptsLeft, c.Resends)
		return err
	})
	if err != nil {
		return Code{}, fmt.Errorf("issue code for request %s: %w", requestID, err)
	}
	return c, nil
}

// CodeCheck is the outcome of CheckCode.
type CodeCheck struct {
	OK              bool // the code matched: the request is verified
	AlreadyVerified bool // the request was verified before this check (OK says whether hash matched)
	Expired         bool // the code expired; no attempt was used
	NoCode          bool // no code was ever issued for the request
	AttemptsLeft    int  // wrong guesses still allowed after this check
}

// CheckCode checks a submitted code's hash against the request's live code at time now, in one
// transaction that locks the code, so concurrent guesses never get more than the allowed attempts:
//   - request already verified: AlreadyVerified, and OK when hash matches (a repeated correct
//     submission is harmless); nothing changes;
//   - no code: NoCode;
//   - no attempts left: the code is dead until a new one is issued (OK false, AttemptsLeft 0);
//   - now after the expiry: Expired, without using an attempt;
//   - wrong hash: one attempt used;
//   - right hash: the request is verified at now, OK.
func (s *Store) CheckCode(ctx context.Context, requestID, hash string, now time.Time) (CodeCheck, error) {
	if requestID == "" || hash == "" || now.IsZero() {
		return CodeCheck{}, dsrflow.Errorf(dsrflow.EINVALID, "checking a code needs a request id, a hash and a time")
	}
	now = micro(now)
	var res CodeCheck
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var row codeRow
		err := tx.GetContext(ctx, &row, s.rebind(`SELECT `+codeColumns+` FROM verification_codes WHERE request_id = ?`+s.forUpdate()), requestID)
		if errors.Is(err, sql.ErrNoRows) {
			res.NoCode = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("read code: %w", err)
		}
		match := subtle.ConstantTimeCompare([]byte(hash), []byte(row.Hash)) == 1
		res.AttemptsLeft = row.AttemptsLeft
		switch {
		case row.VerifiedAt.Valid:
			res.AlreadyVerified, res.OK = true, match
			return nil
		case row.AttemptsLeft <= 0:
			res.AttemptsLeft = 0
			return nil
		case now.After(row.ExpiresAt.Time):
			res.Expired = true
			return nil
		case !match:
			res.AttemptsLeft--
			_, err := tx.ExecContext(ctx, s.rebind(`UPDATE verification_codes SET attempts_left = ? WHERE request_id = ?`), res.AttemptsLeft, requestID)
			return err
		default:
			res.OK = true
			_, err := tx.ExecContext(ctx, s.rebind(`UPDATE verification_codes SET verified_at = ? WHERE request_id = ?`), s.timeArg(now), requestID)
			return err
		}
	})
	if err != nil {
		return CodeCheck{}, fmt.Errorf("check code for request %s: %w", requestID, err)
	}
	return res, nil
}

// GetCode returns the request's live code, or ENOTFOUND when none was issued.
func (s *Store) GetCode(ctx context.Context, requestID string) (Code, error) {
	var row codeRow
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT `+codeColumns+` FROM verification_codes WHERE request_id = ?`), requestID)
	if err != nil {
		return Code{}, notFound(err, "get code of request "+requestID, "no code for request %s", requestID)
	}
	return row.code(), nil
}
