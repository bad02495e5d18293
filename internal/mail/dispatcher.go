package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Outbox is what the dispatcher needs of the store; *store.Store has it.
type Outbox interface {
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Message, error)
	MarkSent(ctx context.Context, id string, at time.Time) error
	DeferMessage(ctx context.Context, id, errText string, next time.Time) error
}

// Retry delays: the first failure waits MinBackoff, each further one twice as long, up to MaxBackoff. A
// permanent refusal (IsPermanent) waits PermanentDelay: an operator reads the error log and may fix the
// cause (a mistyped address in the request) before then.
const (
	MinBackoff     = time.Minute
	MaxBackoff     = time.Hour
	PermanentDelay = 24 * time.Hour
)

// Backoff is the delay after a failed attempt, given how many attempts had failed before it.
func Backoff(failedBefore int) time.Duration {
	d := MinBackoff
	for i := 0; i < failedBefore && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// Dispatcher delivers the outbox: it claims due messages, sends each, and records it as sent or
// deferred. Several dispatchers (in one worker or many) may run against one store: a claim keeps a
// message to one of them while it lasts. Logs carry message ids, kinds and request ids, never
// addresses, subjects or bodies.
type Dispatcher struct {
	Store  Outbox
	Sender Sender
	Logger *slog.Logger
	// Interval is the pause between polls once the outbox holds nothing due; 10 s when zero.
	Interval time.Duration
	// Lease is how long a claim lasts; two minutes when zero. Sending stops at three quarters of it, so
	// a slow server cannot keep a message past its claim while another dispatcher takes it over.
	Lease time.Duration
	// Batch is how many messages one claim takes; 10 when zero.
	Batch int
	// Now is the clock for claims, sent times and retries; time.Now when nil.
	Now func() time.Time
}

func (d *Dispatcher) interval() time.Duration { return orDefault(d.Interval, 10*time.Second) }
func (d *Dispatcher) lease() time.Duration    { return orDefault(d.Lease, 2*time.Minute) }

func (d *Dispatcher) batch() int {
	if d.Batch <= 0 {
		return 10
	}
	return d.Batch
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// Run delivers until ctx ends, then returns nil. A failing store is logged and tried again after the
// interval.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.Store == nil || d.Sender == nil {
		return errors.New("mail dispatcher needs a store and a sender")
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		n, err := d.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := d.interval()
		switch {
		case err != nil:
			d.logger().Error("mail dispatcher: claim outbox", "error", err)
		case n == d.batch():
			wait = 0 // a full batch: more may be due
		}
		timer.Reset(wait)
	}
}

// RunOnce claims one batch of due messages and delivers it. It returns how many messages it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	lease := d.lease()
	ms, err := d.Store.ClaimOutbox(ctx, d.now(), lease, d.batch())
	if err != nil {
		return 0, err
	}
	// Deliver only well within the claim (measured on the wall clock, whatever d.Now says). A message
	// not reached in time stays claimed until the lease runs out, and is then taken again.
	sendCtx, cancel := context.WithTimeout(ctx, lease*3/4)
	defer cancel()
	for _, m := range ms {
		if sendCtx.Err() != nil {
			break
		}
		d.deliver(ctx, sendCtx, m)
	}
	return len(ms), nil
}

// deliver sends one claimed message and records the outcome. Recording uses its own short context: a
// result the server gave must reach the store even when the worker is stopping.
func (d *Dispatcher) deliver(ctx, sendCtx context.Context, m store.Message) {
	log := d.logger().With("message", m.ID, "kind", m.Kind, "request", m.RequestID, "attempt", m.Attempts+1)
	sendErr := d.Sender.Send(sendCtx, m)
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()

	if sendErr == nil {
		err := d.Store.MarkSent(rec, m.ID, d.now())
		switch {
		case err == nil:
			log.Info("mail sent")
		case dsrflow.ErrorCode(err) == dsrflow.ECONFLICT:
			// Our claim ran out and another dispatcher sent and recorded it: the subject got two copies
			// with the same Message-ID.
			log.Warn("mail sent, but another dispatcher had already sent it", "error", err)
		default:
			log.Error("mail sent but not recorded as sent: it will be sent again, with the same Message-ID, when its claim runs out", "error", err)
		}
		return
	}
	if ctx.Err() != nil {
		// Stopping. The server may or may not have taken the message; its claim runs out and it is
		// tried again then, with the same Message-ID.
		log.Info("mail delivery interrupted by shutdown", "error", sendErr)
		return
	}
	delay, level, permanent := Backoff(m.Attempts), slog.LevelWarn, IsPermanent(sendErr)
	if permanent {
		delay, level = PermanentDelay, slog.LevelError
	}
	next := d.now().Add(delay)
	if err := d.Store.DeferMessage(rec, m.ID, sendErr.Error(), next); err != nil {
		log.Error("mail not sent, and the failed attempt not recorded", "error", fmt.Errorf("%w (send: %v)", err, sendErr))
		return
	}
	log.Log(ctx, level, "mail not sent", "error", sendErr, "permanent", permanent, "retry_at", next.UTC().Format(time.RFC3339))
}

// Start runs d in a goroutine until stop is called. stop cancels it and waits for the message in hand
// to be recorded, or until its own ctx ends.
func (d *Dispatcher) Start(ctx context.Context) (stop func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return func(wait context.Context) error {
		cancel()
		select {
		case err := <-done:
			done <- err // a second stop returns the same
			return err
		case <-wait.Done():
			return fmt.Errorf("mail dispatcher did not stop: %w", wait.Err())
		}
	}
}
