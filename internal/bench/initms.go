package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// StarterInit runs `GODEBUG=inittrace=1 starter --help` rounds times and returns the figure
// starter_init_ms: the sum of package initialisation each run, as the Go runtime reports it (issue 19's
// target: under 10 ms, which starter meets by not linking the server; see ARCHITECTURE.md).
func StarterInit(ctx context.Context, starter string, rounds int) (Figure, error) {
	var sums []float64
	for range rounds {
		cmd := exec.CommandContext(ctx, starter, "--help")
		cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return Figure{}, fmt.Errorf("starter --help: %v: %.200s", err, stderr.Bytes())
		}
		ms, n := initTraceSum(stderr.String())
		if n == 0 {
			return Figure{}, fmt.Errorf("starter --help printed no inittrace lines: %.200s", stderr.Bytes())
		}
		sums = append(sums, ms)
	}
	return Figure{Name: "starter_init_ms", Rounds: sums, Note: "`GODEBUG=inittrace=1 starter --help`, the sum of package init clock time, target under 10 ms"}, nil
}

// initTraceSum sums the clock time of GODEBUG=inittrace=1 lines and counts them:
//
//	init github.com/dsrflow/dsrflow/internal/web @1.2 ms, 1.4 ms clock, 770568 bytes, 13641 allocs
func initTraceSum(trace string) (ms float64, lines int) {
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 7 || f[0] != "init" || f[6] != "clock," {
			continue
		}
		if v, err := strconv.ParseFloat(f[4], 64); err == nil {
			ms += v
			lines++
		}
	}
	return ms, lines
}
