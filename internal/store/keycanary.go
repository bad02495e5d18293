package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dsrflow/dsrflow"
)

// KeyCanary returns the sealed constant written at the deployment's first start: ENOTFOUND before that.
func (s *Store) KeyCanary(ctx context.Context) ([]byte, error) {
	var sealed []byte
	err := s.db.GetContext(ctx, &sealed, `SELECT sealed FROM key_canary WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, dsrflow.Errorf(dsrflow.ENOTFOUND, "no key canary yet")
	}
	if err != nil {
		return nil, unavailable("read key canary", err)
	}
	return sealed, nil
}

// PutKeyCanary writes the canary unless one exists (two processes starting at once keep the first).
func (s *Store) PutKeyCanary(ctx context.Context, sealed []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO key_canary (id, sealed, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`), sealed, s.timeArg(at))
	if err != nil {
		return unavailable("write key canary", err)
	}
	return nil
}
