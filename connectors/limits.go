package connectors

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Limits bound the load dsrflow puts on one connector's system, summed over every worker sharing the
// store (connectors.yaml's max_concurrent, rate and burst). A small subsidiary's API is then never hit
// by more than MaxConcurrent jobs at once, nor more than Rate calls a second on average, however many
// requests arrive together and however many workers run them. The activities enforce them through a
// Throttle; zero values mean no bound.
type Limits struct {
	// MaxConcurrent is how many of the connector's calls may be in flight at once: a job's run (for a
	// rest or postgres connector the whole job, for an http one its submission) or one poll of an
	// accepted job. A job that finds every slot taken waits for one; it never fails for it.
	MaxConcurrent int
	// Rate is how many calls a second go to the system on average: one per job run and per poll, or,
	// for a kind that paces its own requests (Pacer, the rest kind), one per HTTP request.
	Rate float64
	// Burst is how many calls may go at once after a quiet spell (a token bucket of Burst tokens filled
	// at Rate a second). Unset, it is 1 when Rate is set (BucketSize).
	Burst int
}

// BucketSize is Burst, or 1 when it is unset.
func (l Limits) BucketSize() int { return max(1, l.Burst) }

// Bounded reports whether the connector has any limit.
func (l Limits) Bounded() bool { return l.MaxConcurrent > 0 || l.Rate > 0 }

// Throttle holds a connector's calls to its Limits across every worker. A Throttle over the shared
// store is what makes the bound hold across workers; nil holds nothing.
type Throttle interface {
	// Acquire takes one of the connector's MaxConcurrent slots, waiting a while for one, and returns
	// its release. When every slot stays taken it returns a *BusyError: the caller gives the job back to
	// its retry policy rather than failing it. A connector without MaxConcurrent gets a no-op release.
	Acquire(ctx context.Context, c Connector) (release func(), err error)
	// Pace waits for the connector's next call under Rate and Burst, or returns a *BusyError when that
	// is further off than a caller should hold a worker for. A connector without Rate never waits.
	Pace(ctx context.Context, c Connector) error
}

// Pacer is implemented by a Runner that takes a rate token (Env.Pace) for every request it sends,
// rather than one per job (the rest kind, whose job sends several). The activities then take none
// for its jobs.
type Pacer interface {
	PacesItsCalls() bool
}

// decodeLimit reads one of max_concurrent, rate and burst into l; bad reports a value that is not a
// positive number of the right sort.
func decodeLimit(l *Limits, key, value string, bad func(format string, args ...any)) {
	switch key {
	case "rate":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			bad("rate must be a positive number of calls a second, like 5 or 0.5, not %q", value)
			return
		}
		l.Rate = f
	default:
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 {
			bad("%s must be a positive whole number, not %q", key, value)
			return
		}
		if key == "burst" {
			l.Burst = n
		} else {
			l.MaxConcurrent = n
		}
	}
}

// check reports what is wrong with a connector's limits as configured.
func (l Limits) check(c Connector) []Problem {
	var ps []Problem
	if l.Burst > 0 && l.Rate == 0 {
		ps = append(ps, Problemf("burst", "burst needs rate: it is the size of the rate's bucket"))
	}
	if c.Kind == KindManual && l.Bounded() {
		field := "max_concurrent"
		if l.MaxConcurrent == 0 {
			field = "rate"
		}
		ps = append(ps, Problemf(field, "max_concurrent and rate do not apply to a manual connector: its jobs are tasks for people"))
	}
	return ps
}

// BusyError says that a connector's limits let no call go now: the job waits (its activity is retried
// after RetryAfter), it does not fail.
type BusyError struct {
	Connector  string
	RetryAfter time.Duration
	// Reason says which limit, without personal data.
	Reason string
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("connector %s is busy: %s; the job waits", e.Connector, e.Reason)
}
