package store

import (
	"context"

	"github.com/dsrflow/dsrflow"
)

// CheckSchema reports whether the database holds every migration this build knows. Production processes
// call it at start instead of migrating: `starter migrate` applies migrations once, before a rollout.
func (s *Store) CheckSchema(ctx context.Context) error {
	want, err := migrations(s.dialect)
	if err != nil {
		return err
	}
	applied, err := s.Migrations(ctx)
	if err != nil {
		return dsrflow.Errorf(dsrflow.EUNAVAILABLE, "store schema unknown (run `starter migrate`): %v", err)
	}
	if len(applied) < len(want) {
		return dsrflow.Errorf(dsrflow.EUNAVAILABLE, "store schema is at version %d, this build needs %d: run `starter migrate`", len(applied), len(want))
	}
	return nil
}
