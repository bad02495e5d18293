package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Throughput runs rounds of total requests with inFlight at a time, dsrflow's realistic request and the
// bare baseline alternately on the same stack, and returns throughput_rps, bare_rps and their ratio.
func Throughput(ctx context.Context, connectors, total, inFlight, rounds int, progress func(string)) ([]Figure, error) {
	s, err := startStack(ctx, connectors)
	if err != nil {
		return nil, err
	}
	defer s.close()
	a := newAPI(s.URL(), s.Token)
	// Warm-up: caches, connections, the first workflow tasks.
	if _, err := closedLoop(ctx, 20, 10, func(ctx context.Context, i int) error { return s.one(ctx, a, 1_000_000+i) }); err != nil {
		return nil, err
	}
	if _, err := closedLoop(ctx, 20, 10, func(ctx context.Context, i int) error { return s.bare(ctx, 1_000_000+i, connectors) }); err != nil {
		return nil, err
	}
	var real, bare []float64
	next := 0
	for r := range rounds {
		base := next
		rps, err := closedLoop(ctx, total, inFlight, func(ctx context.Context, i int) error { return s.one(ctx, a, base+i) })
		if err != nil {
			return nil, err
		}
		real = append(real, rps)
		brps, err := closedLoop(ctx, total, inFlight, func(ctx context.Context, i int) error { return s.bare(ctx, base+i, connectors) })
		if err != nil {
			return nil, err
		}
		bare = append(bare, brps)
		next += total
		progress(fmt.Sprintf("round %d: dsrflow %.2f rps, bare %.2f rps", r+1, rps, brps))
	}
	note := fmt.Sprintf("%d requests per round, %d in flight, %d connectors", total, inFlight, connectors)
	return []Figure{
		{Name: "throughput_rps", Rounds: real, Note: note + ": access, agent-attested, fan-out over loopback HTTP, audit, index, answer and export"},
		{Name: "bare_rps", Rounds: bare, Note: fmt.Sprintf("the same server and worker, a workflow of %d no-op activities", connectors)},
		{Name: "throughput_ratio", Rounds: ratios(real, bare), Note: "dsrflow/bare, round by round; target 0.7 or better"},
	}, nil
}

func (s *benchStack) one(ctx context.Context, a *api, i int) error {
	id, err := s.startRequest(ctx, a, i)
	if err != nil {
		return err
	}
	return s.wait(ctx, id)
}

func (s *benchStack) bare(ctx context.Context, i, n int) error {
	id, err := s.startBare(ctx, i, n)
	if err != nil {
		return err
	}
	return s.wait(ctx, id)
}

// closedLoop runs total calls of fn with inFlight at a time and returns calls per second.
func closedLoop(ctx context.Context, total, inFlight int, fn func(ctx context.Context, i int) error) (float64, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	start := time.Now()
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return 0, first
	}
	return float64(total) / time.Since(start).Seconds(), nil
}
