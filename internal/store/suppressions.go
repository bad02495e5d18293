package store

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Suppression is one entry of the marketing suppression list: a keyed hash of an address
// (secret.Key.SuppressionHash), never the address. Reason is the request type that put it there:
// marketing_optout, objection (to direct marketing) or erasure.
type Suppression struct {
	Hash    string    `db:"hash" json:"hash"`
	Reason  string    `db:"reason" json:"reason"`
	Created time.Time `db:"-" json:"created"`
}

// suppressionHash is the form of secret.Key.SuppressionHash: 64 lower-case hex digits.
var suppressionHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidSuppressionHash reports whether h has the form of a suppression hash.
func ValidSuppressionHash(h string) bool { return suppressionHash.MatchString(h) }

// AddSuppression puts a hash on the suppression list. Adding a hash already there keeps its first
// reason and time, so a retried activity or a later erasure of an opted-out address changes nothing.
// The list is never crypto-shredded: it holds no readable personal data, and outliving the person's
// records is its purpose.
func (s *Store) AddSuppression(ctx context.Context, hash, reason string, at time.Time) error {
	if !ValidSuppressionHash(hash) {
		return dsrflow.Errorf(dsrflow.EINVALID, "a suppression hash is 64 hex digits")
	}
	if !dsrflow.RequestType(reason).Valid() {
		return dsrflow.Errorf(dsrflow.EINVALID, "a suppression's reason is the request type that caused it")
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO suppressions (hash, reason, created_at) VALUES (?, ?, ?)
		ON CONFLICT (hash) DO NOTHING`), hash, reason, s.timeArg(at)); err != nil {
		return unavailable("add suppression", err)
	}
	return nil
}

// GetSuppression returns the suppression list's entry for hash: ENOTFOUND when the address may be
// mailed, EINVALID for a value that is not a suppression hash.
func (s *Store) GetSuppression(ctx context.Context, hash string) (Suppression, error) {
	if !ValidSuppressionHash(hash) {
		return Suppression{}, dsrflow.Errorf(dsrflow.EINVALID, "a suppression hash is 64 hex digits")
	}
	var row struct {
		Suppression
		CreatedAt dbTime `db:"created_at"`
	}
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT hash, reason, created_at FROM suppressions WHERE hash = ?`), hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Suppression{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "not on the suppression list")
	}
	if err != nil {
		return Suppression{}, unavailable("get suppression", err)
	}
	row.Suppression.Created = row.CreatedAt.Time
	return row.Suppression, nil
}
