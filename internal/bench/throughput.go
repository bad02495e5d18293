package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	realEvents, realKinds, err := s.historyOf(ctx, s.lastRequest.Load().(string))
	if err != nil {
		return nil, err
	}
	bareEvents, bareKinds, err := s.historyOf(ctx, s.lastBare.Load().(string))
	if err != nil {
		return nil, err
	}
	progress("history of one request: " + realKinds)
	progress("history of one bare workflow: " + bareKinds)
	note := fmt.Sprintf("%d requests per round, %d in flight, %d connectors", total, inFlight, connectors)
	return []Figure{
		{Name: "throughput_rps", Rounds: real, Note: note + ": access, agent-attested, fan-out over loopback HTTP, audit, index, answer and export"},
		{Name: "bare_rps", Rounds: bare, Note: fmt.Sprintf("the same server and worker, a workflow of %d no-op activities", connectors)},
		{Name: "throughput_ratio", Rounds: ratios(real, bare), Note: "dsrflow/bare, round by round; target 0.7 or better"},
		{Name: "history_events", Rounds: []float64{float64(realEvents)}, Note: fmt.Sprintf("in one request's Temporal history, against %d for the bare workflow", bareEvents)},
	}, nil
}

func (s *benchStack) one(ctx context.Context, a *api, i int) error {
	id, err := s.startRequest(ctx, a, i)
	if err != nil {
		return err
	}
	s.lastRequest.Store(id)
	return s.wait(ctx, id)
}

func (s *benchStack) bare(ctx context.Context, i, n int) error {
	id, err := s.startBare(ctx, i, n)
	if err != nil {
		return err
	}
	s.lastBare.Store(id)
	return s.wait(ctx, id)
}

// historyOf counts a workflow's history events, in all and by type.
func (s *benchStack) historyOf(ctx context.Context, id string) (int, string, error) {
	it := s.Client.GetWorkflowHistory(ctx, id, "", false, 0)
	kinds := map[string]int{}
	n := 0
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return 0, "", err
		}
		kinds[strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")]++
		n++
	}
	var parts []string
	for k, c := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ToLower(k), c))
	}
	slices.Sort(parts)
	return n, fmt.Sprintf("%d events: %s", n, join(parts)), nil
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
