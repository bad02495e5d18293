// Package bench measures dsrflow on the embedded stack (real Temporal server, SQLite store) for
// `make bench`: throughput against a bare workflow on the same server, fan-out width, idle memory and
// the due-date list over a million requests. Each figure is the median of repeated rounds, printed as
// one line with its min and max. Results hold for the machine they ran on.
package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Figure is one measured quantity over rounds.
type Figure struct {
	Name   string
	Unit   string // printed after the value; "" for ratios
	Rounds []float64
	Note   string
}

// Median, Min and Max of the rounds.
func (f Figure) Median() float64 { return median(f.Rounds) }
func (f Figure) Min() float64    { return slices.Min(f.Rounds) }
func (f Figure) Max() float64    { return slices.Max(f.Rounds) }

// Print writes `name=median (median of N rounds, min A, max B) note`.
func (f Figure) Print(w io.Writer) {
	if len(f.Rounds) == 0 {
		fmt.Fprintf(w, "%s=n/a (%s)\n", f.Name, f.Note)
		return
	}
	line := fmt.Sprintf("%s=%s (median of %d rounds, min %s, max %s)", f.Name, num(f.Median()), len(f.Rounds), num(f.Min()), num(f.Max()))
	if f.Note != "" {
		line += " " + f.Note
	}
	fmt.Fprintln(w, line)
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratios divides round by round: a/b for each i.
func ratios(a, b []float64) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, n)
	for i := range n {
		out[i] = a[i] / b[i]
	}
	return out
}

func join(xs []string) string { return strings.Join(xs, ", ") }
