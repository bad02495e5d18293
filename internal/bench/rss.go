package bench

import (
	"context"
	"errors"
)

// IdleRSS is measured in a separate `worker --dev` process (see rss_linux.go).
func IdleRSS(ctx context.Context, worker string, n int, progress func(string)) ([]Figure, error) {
	if worker == "" {
		return nil, errors.New("-worker names the worker binary to run")
	}
	return idleRSS(ctx, worker, n, progress)
}
