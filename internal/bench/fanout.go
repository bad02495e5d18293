package bench

import (
	"context"
	"fmt"
	"time"
)

// Fanout measures one request's latency, start to completion, with each number of connectors; the
// figure is the latency at the widest over the narrowest, round by round. The bare workflow with as
// many no-op activities, alternating with it on the same stack, gives the server's own ratio.
func Fanout(ctx context.Context, widths []int, rounds int, progress func(string)) ([]Figure, error) {
	lat, bare := map[int][]float64{}, map[int][]float64{}
	var figures []Figure
	for _, n := range widths {
		s, err := startStack(ctx, n)
		if err != nil {
			return nil, err
		}
		a := newAPI(s.URL(), s.Token)
		for i := range rounds + 1 {
			start := time.Now()
			if err := s.one(ctx, a, n*1000+i); err != nil {
				s.close()
				return nil, err
			}
			if i > 0 { // the first warms up
				lat[n] = append(lat[n], float64(time.Since(start).Microseconds())/1000)
			}
			start = time.Now()
			if err := s.bare(ctx, n*1000+i, n); err != nil {
				s.close()
				return nil, err
			}
			if i > 0 {
				bare[n] = append(bare[n], float64(time.Since(start).Microseconds())/1000)
			}
		}
		s.close()
		progress(fmt.Sprintf("%d connectors: median %.0f ms", n, median(lat[n])))
		figures = append(figures, Figure{Name: fmt.Sprintf("fanout_ms_%d", n), Rounds: lat[n], Note: "one access request, start to completion"})
	}
	lo, hi := widths[0], widths[len(widths)-1]
	figures = append(figures, Figure{Name: fmt.Sprintf("fanout_%d_vs_%d", hi, lo), Rounds: ratios(lat[hi], lat[lo]), Note: "target under 12"})
	figures = append(figures,
		Figure{Name: fmt.Sprintf("bare_fanout_ms_%d", lo), Rounds: bare[lo], Note: "the bare workflow, one no-op activity"},
		Figure{Name: fmt.Sprintf("bare_fanout_ms_%d", hi), Rounds: bare[hi], Note: fmt.Sprintf("the bare workflow, %d no-op activities", hi)},
		Figure{Name: fmt.Sprintf("bare_fanout_%d_vs_%d", hi, lo), Rounds: ratios(bare[hi], bare[lo]), Note: "the server's own ratio"})
	return figures, nil
}
