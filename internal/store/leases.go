package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dsrflow/dsrflow"
)

// AcquireLease takes the lease name for holder until now+ttl, or renews it when holder already holds it,
// and reports whether holder holds it now. A lease held by another holder is taken over only once its
// expiry has passed. One conditional statement decides, so of several processes racing for a free or
// expired lease exactly one wins. Times are the callers' clocks: ttl must be well above their skew.
// name and holder must not be personal data.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, dsrflow.Errorf(dsrflow.EINVALID, "a lease needs a name, a holder and a positive duration")
	}
	var got string
	err := s.db.GetContext(ctx, &got, s.rebind(`
		INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
		RETURNING holder`), name, holder, s.timeArg(now.Add(ttl)), s.timeArg(now))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // held by another, not yet expired: the update's condition left the row alone
	}
	if err != nil {
		return false, unavailable("acquire lease "+name, err)
	}
	return got == holder, nil
}

// ReleaseLease gives up the lease if holder holds it, so that another process takes it over at its next
// attempt rather than after the expiry. Releasing a lease held by another is a no-op.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder); err != nil {
		return unavailable("release lease "+name, err)
	}
	return nil
}
