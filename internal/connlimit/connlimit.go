// Package connlimit holds calls to connectors to their connectors.yaml limits (max_concurrent, rate,
// burst) across every worker, over the shared store: a slot is a lease renewed while its call runs, the
// rate a schedule every worker takes from (internal/store/connlimits.go). A job that cannot have a slot
// or a call soon enough gets a *connectors.BusyError and waits in its activity's retry policy: nothing
// fails for it, and a killed worker's slot is free again when its lease expires.
//
// The store rather than Temporal's task-queue rate limit (worker.Options.TaskQueueActivitiesPerSecond)
// holds these bounds: that limit is a rate only, set by whichever worker polled last, and bounds the
// dispatch of activities, not the calls in flight; a concurrency bound across workers needs shared state
// anyway, and the store is the one every worker already shares. Workflows do not change.
package connlimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	mrand "math/rand/v2"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Defaults of a Throttle.
const (
	// LeaseTTL is how long a slot stays held without renewal: a killed worker's slot is free after it.
	LeaseTTL = 30 * time.Second
	// RenewEvery is how often a held slot is renewed; well under LeaseTTL.
	RenewEvery = 5 * time.Second
	// MaxWait is how long Acquire and Pace wait inside an activity before giving the job back to its
	// retry policy (a *connectors.BusyError), so that a waiting job does not hold a worker's activity
	// slot for long.
	MaxWait = 10 * time.Second
	// Poll is the mean time between the first two tries for a slot; later ones wait up to 4 times
	// longer, so that many waiting jobs do not crowd the store (SQLite has one connection).
	Poll = 500 * time.Millisecond
)

// Throttle is a connectors.Throttle over the store. The zero durations take the defaults above.
type Throttle struct {
	Store  *store.Store
	Logger *slog.Logger
	// LeaseTTL, RenewEvery, MaxWait and Poll override the defaults (tests).
	LeaseTTL, RenewEvery, MaxWait, Poll time.Duration
}

var _ connectors.Throttle = (*Throttle)(nil)

func (t *Throttle) ttl() time.Duration     { return or(t.LeaseTTL, LeaseTTL) }
func (t *Throttle) renew() time.Duration   { return or(t.RenewEvery, RenewEvery) }
func (t *Throttle) maxWait() time.Duration { return or(t.MaxWait, MaxWait) }
func (t *Throttle) poll() time.Duration    { return or(t.Poll, Poll) }

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Acquire takes one of the connector's max_concurrent slots and renews it until release is called.
// When every slot stays held for MaxWait it returns a *connectors.BusyError.
func (t *Throttle) Acquire(ctx context.Context, c connectors.Connector) (func(), error) {
	if t == nil || c.Limits.MaxConcurrent <= 0 {
		return func() {}, nil
	}
	holder := newHolder()
	deadline := time.Now().Add(t.maxWait())
	poll := t.poll()
	for {
		name, err := t.Store.AcquireConnectorSlot(ctx, c.ID, c.Limits.MaxConcurrent, holder, t.ttl(), time.Now())
		if err != nil {
			return nil, err
		}
		if name != "" {
			return t.hold(c.ID, name, holder), nil
		}
		wait := jitter(poll)
		poll = min(2*poll, 4*t.poll())
		if time.Now().Add(wait).After(deadline) {
			return nil, &connectors.BusyError{Connector: c.ID, RetryAfter: jitter(t.maxWait() / 4), Reason: "all of its max_concurrent slots are in use"}
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// hold renews the slot until the returned release, which gives it back.
func (t *Throttle) hold(connectorID, name, holder string) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(t.renew())
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), t.renew())
				ok, err := t.Store.AcquireLease(ctx, name, holder, t.ttl(), time.Now())
				cancel()
				if (err != nil || !ok) && t.Logger != nil {
					// The call goes on; its slot may be taken by another once the lease expires.
					t.Logger.Warn("connector slot not renewed", "connector", connectorID, "slot", name, "held", ok, "error", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := t.Store.ReleaseLease(ctx, name, holder); err != nil && t.Logger != nil {
			t.Logger.Warn("connector slot not released; it frees itself at its expiry", "connector", connectorID, "slot", name, "error", err)
		}
	}
}

// Pace waits for the connector's next call under its rate; when that is further off than MaxWait it
// returns a *connectors.BusyError saying when.
func (t *Throttle) Pace(ctx context.Context, c connectors.Connector) error {
	if t == nil || c.Limits.Rate <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / c.Limits.Rate)
	deadline := time.Now().Add(t.maxWait())
	for {
		wait, err := t.Store.TakeConnectorRate(ctx, c.ID, interval, c.Limits.BucketSize(), time.Now())
		if err != nil {
			return err
		}
		if wait == 0 {
			return nil
		}
		// Others wait for the same call: a little later than due, by a random amount, so they do not
		// all try at the same instant.
		wait += jitter(min(interval, t.poll()))
		if time.Now().Add(wait).After(deadline) {
			return &connectors.BusyError{Connector: c.ID, RetryAfter: wait, Reason: "its rate allows no call sooner"}
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// newHolder names one acquisition of a slot: random, never personal data.
func newHolder() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// jitter returns a duration between d/2 and 3d/2.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d)))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
