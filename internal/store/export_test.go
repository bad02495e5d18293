package store

import "context"

// MigrateTo applies the migrations up to version v only, so tests can write rows as an earlier version
// did and then migrate them.
func (s *Store) MigrateTo(ctx context.Context, v int) error { return s.migrate(ctx, v) }
