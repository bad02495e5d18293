package bench

import (
	"math"
	"testing"
)

func TestStarterInitTraceSum(t *testing.T) {
	trace := `init internal/bytealg @0.003 ms, 0.004 ms clock, 0 bytes, 0 allocs
init runtime @0.021 ms, 0.050 ms clock, 0 bytes, 0 allocs
Usage:
init github.com/dsrflow/dsrflow/connectors @1.2 ms, 0.40 ms clock, 24448 bytes, 308 allocs
`
	ms, n := initTraceSum(trace)
	if n != 3 || math.Abs(ms-0.454) > 1e-9 {
		t.Fatalf("initTraceSum = %v ms over %d lines, want 0.454 over 3", ms, n)
	}
}
