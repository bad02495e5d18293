package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/dsrflow/dsrflow/internal/web"
)

// IdleRSS is measured in a separate `worker --dev` process (see rss_linux.go).
func IdleRSS(ctx context.Context, worker string, n int, progress func(string)) ([]Figure, error) {
	if worker == "" {
		return nil, errors.New("-worker names the worker binary to run")
	}
	return idleRSS(ctx, worker, n, progress)
}

// IdleHeap holds n requests waiting for verification on an in-process stack and writes a heap profile
// to path: where the idle memory of rss_mb_10k_waiting lives (server caches, SDK cache, store).
func IdleHeap(ctx context.Context, n int, path string, progress func(string)) ([]Figure, error) {
	if path == "" {
		return nil, errors.New("-heapprofile names the file to write")
	}
	s, err := startStack(ctx, 1)
	if err != nil {
		return nil, err
	}
	defer s.close()
	a := newAPI(s.URL(), s.Token)
	if _, err := closedLoop(ctx, n, 16, func(ctx context.Context, i int) error {
		_, err := a.create(ctx, web.NewRequest{Type: "access", Email: fmt.Sprintf("idle-%07d@example.com", i)})
		return err
	}); err != nil {
		return nil, err
	}
	// Sample once every request is parked, as rss_mb_10k_waiting does.
	if err := waitVerifying(ctx, a, n); err != nil {
		return nil, err
	}
	time.Sleep(10 * time.Second)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("heap profile in %s", path))
	return []Figure{{Name: fmt.Sprintf("heap_mb_%dk_waiting", n/1000), Rounds: []float64{float64(m.HeapAlloc) / (1 << 20)},
		Note: fmt.Sprintf("live Go heap after a GC, the whole stack in this process (load generator included); goroutine stacks %.0f MB, %d goroutines",
			float64(m.StackInuse)/(1<<20), runtime.NumGoroutine())}}, nil
}
