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
	have := map[int]bool{}
	for _, m := range applied {
		have[m.Version] = true
	}
	for _, m := range want {
		if !have[m.version] {
			return dsrflow.Errorf(dsrflow.EUNAVAILABLE, "store schema lacks migration %04d_%s: run `starter migrate`", m.version, m.name)
		}
	}
	return nil
}
