package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
)

// CountHit adds one to bucket's counter in the fixed window of length per that holds now, and returns
// the count with this hit, atomically: front doors sharing the store share the count. bucket must not
// be personal data (callers pass a keyed hash). Windows that ended a day ago are deleted now and then.
func (s *Store) CountHit(ctx context.Context, bucket string, per time.Duration, now time.Time) (int, error) {
	if bucket == "" || per < time.Second {
		return 0, dsrflow.Errorf(dsrflow.EINVALID, "a rate limit needs a bucket and a window of at least a second")
	}
	secs := int64(per / time.Second)
	start := now.Unix() / secs * secs
	var n int
	err := s.db.GetContext(ctx, &n, s.rebind(`
		INSERT INTO rate_limits (bucket, window_start, n) VALUES (?, ?, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET n = rate_limits.n + 1
		RETURNING n`), bucket, start)
	if err != nil {
		return 0, fmt.Errorf("count rate limit hit: %w", err)
	}
	// About one hit in 256 sweeps the old windows: the table stays as small as a day's buckets.
	if now.UnixNano()&0xff == 0 {
		if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM rate_limits WHERE window_start < ?`), now.Add(-24*time.Hour).Unix()); err != nil {
			return 0, fmt.Errorf("sweep rate limits: %w", err)
		}
	}
	return n, nil
}
