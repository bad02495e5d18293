package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/mail"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

var ctx = context.Background()

// clock is a test clock the dispatcher reads; tests move it past backoffs and leases.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a log destination several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// testKeys is the key ring of every store in these tests: handles on one database must share it.
var testKeys = func() *payload.KeyRing {
	k, err := payload.ParseKeyRing(storetest.KeySpec("test-1"))
	if err != nil {
		panic(err)
	}
	return k
}()

func sqliteStore(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.OpenSQLite(ctx, path, store.WithKeys(testKeys))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func postgresStore(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.OpenPostgres(ctx, url, store.WithKeys(testKeys))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func enqueueJane(t *testing.T, s *store.Store, id string, created time.Time) {
	t.Helper()
	m := janeMessage()
	m.ID, m.CreatedAt = id, created
	if _, err := s.EnqueueMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
}

func outboxMessage(t *testing.T, s *store.Store, id string) store.Message {
	t.Helper()
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %s not in the outbox", id)
	return store.Message{}
}

// rig is one store, one fake server, one dispatcher on a test clock, and the dispatcher's log.
type rig struct {
	st    *store.Store
	f     *fakeSMTP
	clk   *clock
	d     *mail.Dispatcher
	log   *syncBuffer
	start time.Time
}

func newRig(t *testing.T, f *fakeSMTP) *rig {
	t.Helper()
	r := &rig{st: sqliteStore(t, filepath.Join(t.TempDir(), "dsrflow.db")), f: f.start(t), log: &syncBuffer{}}
	r.start = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	r.clk = &clock{t: r.start}
	s := plainSender(r.f)
	s.Now = r.clk.Now
	r.d = &mail.Dispatcher{Store: r.st, Sender: s, Logger: slog.New(slog.NewJSONHandler(r.log, nil)), Lease: time.Minute, Batch: 10, Now: r.clk.Now}
	t.Cleanup(func() { noPersonalData(t, r.log.String()) })
	return r
}

// once runs one dispatcher round and checks how many messages it claimed.
func (r *rig) once(t *testing.T, wantClaimed int) {
	t.Helper()
	n, err := r.d.RunOnce(ctx)
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if n != wantClaimed {
		t.Fatalf("at %s: claimed %d, want %d", r.clk.Now().Sub(r.start), n, wantClaimed)
	}
}

func TestBackoff(t *testing.T) {
	for failed, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour} {
		if got := mail.Backoff(failed); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", failed, got, want)
		}
	}
	if got := mail.Backoff(1 << 20); got != time.Hour {
		t.Errorf("Backoff(huge) = %s, want 1h", got)
	}
}

// TestDispatcherRetriesTemporaryFailures: two 4xx replies, then success: the message is tried after 1
// minute, then after 2 more, and delivered exactly once.
func TestDispatcherRetriesTemporaryFailures(t *testing.T) {
	r := newRig(t, &fakeSMTP{script: func(cmd string, n int) string {
		if cmd == "RCPT" && n < 2 {
			return "451 4.7.1 <" + jane + ">: greylisted"
		}
		return ""
	}})
	enqueueJane(t, r.st, "m1", r.start)

	r.once(t, 1)
	if m := outboxMessage(t, r.st, "m1"); m.Attempts != 1 || m.LastError != "smtp RCPT: 451 4.7.1" || m.SentAt != nil {
		t.Fatalf("after the first failure: attempts %d, last error %q, sent %v", m.Attempts, m.LastError, m.SentAt)
	}
	r.clk.Add(time.Minute - time.Second)
	r.once(t, 0)
	r.clk.Add(time.Second)
	r.once(t, 1) // fails again: next attempt 2 minutes later
	r.clk.Add(2*time.Minute - time.Second)
	r.once(t, 0)
	r.clk.Add(time.Second)
	r.once(t, 1)
	r.clk.Add(time.Hour)
	r.once(t, 0)

	if ds := r.f.deliveries(); len(ds) != 1 || ds[0].messageID(t) != "<m1@dsrflow>" {
		t.Fatalf("deliveries = %d, want exactly one of m1", len(ds))
	}
	m := outboxMessage(t, r.st, "m1")
	if m.SentAt == nil || !m.SentAt.Equal(r.start.Add(3*time.Minute)) || m.Attempts != 2 {
		t.Fatalf("after delivery: sent %v, attempts %d", m.SentAt, m.Attempts)
	}
	log := r.log.String()
	if !strings.Contains(log, `"msg":"mail sent"`) || !strings.Contains(log, `"message":"m1"`) || !strings.Contains(log, `"kind":"answer"`) {
		t.Fatalf("log does not record the delivery by message id and kind:\n%s", log)
	}
}

// TestDispatcherDefersPermanentFailures: a 5xx refusal is kept for a day, logged as an error, and its
// last error holds the codes only, not the server's text quoting the address.
func TestDispatcherDefersPermanentFailures(t *testing.T) {
	r := newRig(t, &fakeSMTP{script: func(cmd string, n int) string {
		if cmd == "RCPT" {
			return "550 5.1.1 <" + jane + ">: Recipient address rejected"
		}
		return ""
	}})
	enqueueJane(t, r.st, "m1", r.start)
	enqueueJane(t, r.st, "m2", r.start.Add(time.Second))
	r.once(t, 2)
	for _, id := range []string{"m1", "m2"} {
		if m := outboxMessage(t, r.st, id); m.Attempts != 1 || m.LastError != "smtp RCPT: 550 5.1.1" || m.SentAt != nil {
			t.Fatalf("%s after a 550: attempts %d, last error %q", id, m.Attempts, m.LastError)
		}
	}
	r.clk.Add(time.Hour)
	r.once(t, 0) // a temporary failure would be due again by now
	r.clk.Add(23*time.Hour - time.Second)
	r.once(t, 0)
	r.clk.Add(time.Second)
	r.once(t, 2)
	if len(r.f.deliveries()) != 0 {
		t.Fatal("delivered despite the refusal")
	}
	log := r.log.String()
	if !strings.Contains(log, `"level":"ERROR","msg":"mail not sent"`) || !strings.Contains(log, `"permanent":true`) {
		t.Fatalf("permanent refusal not logged as an error:\n%s", log)
	}
}

// flakyOutbox fails MarkSent a given number of times, as a database outage (or a crash) right after
// the server accepted the message would.
type flakyOutbox struct {
	*store.Store
	failMarkSent atomic.Int32
}

func (o *flakyOutbox) MarkSent(ctx context.Context, id string, at time.Time) error {
	if o.failMarkSent.Add(-1) >= 0 {
		return errors.New("store unavailable (injected)")
	}
	return o.Store.MarkSent(ctx, id, at)
}

// TestDispatcherCrashWindow: the server accepted the message but MarkSent failed. The message is sent
// again once its claim runs out, with the same Message-ID, and then never again.
func TestDispatcherCrashWindow(t *testing.T) {
	r := newRig(t, &fakeSMTP{})
	o := &flakyOutbox{Store: r.st}
	o.failMarkSent.Store(1)
	r.d.Store = o
	enqueueJane(t, r.st, "dsr_abc:answer", r.start)

	r.once(t, 1)
	if m := outboxMessage(t, r.st, "dsr_abc:answer"); m.SentAt != nil || m.Attempts != 0 {
		t.Fatalf("after the lost MarkSent: sent %v, attempts %d", m.SentAt, m.Attempts)
	}
	r.clk.Add(time.Minute - time.Second)
	r.once(t, 0) // still claimed
	r.clk.Add(time.Second)
	r.once(t, 1) // the claim ran out: sent again
	r.clk.Add(time.Hour)
	r.once(t, 0)

	ds := r.f.deliveries()
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2 (the resend is the documented cost of the window)", len(ds))
	}
	for _, d := range ds {
		if id := d.messageID(t); id != "<dsr_abc%3Aanswer@dsrflow>" {
			t.Fatalf("Message-ID = %q, want the outbox id's for both copies", id)
		}
	}
	if m := outboxMessage(t, r.st, "dsr_abc:answer"); m.SentAt == nil {
		t.Fatal("not recorded as sent after the resend")
	}
	if !strings.Contains(r.log.String(), "not recorded as sent") {
		t.Fatalf("the lost MarkSent was not logged:\n%s", r.log.String())
	}
}

// countingSender counts what one dispatcher sent.
type countingSender struct {
	mail.Sender
	n atomic.Int32
}

func (c *countingSender) Send(ctx context.Context, m store.Message) error {
	err := c.Sender.Send(ctx, m)
	if err == nil {
		c.n.Add(1)
	}
	return err
}

// TestDispatchersConcurrent runs two dispatchers, each with its own store handle (as two worker
// processes have), against one database and one slow server: every message is delivered exactly once.
func TestDispatchersConcurrent(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dsrflow.db")
		testDispatchersConcurrent(t, sqliteStore(t, path), sqliteStore(t, path))
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.FreshPostgres(t, storetest.PostgresURL(t))
		testDispatchersConcurrent(t, postgresStore(t, url), postgresStore(t, url))
	})
}

func testDispatchersConcurrent(t *testing.T, a, b *store.Store) {
	const n = 40
	f := (&fakeSMTP{dataDelay: 2 * time.Millisecond}).start(t)
	for i := range n {
		enqueueJane(t, a, fmt.Sprintf("m%02d", i), time.Now().Add(time.Duration(i-n)*time.Second))
	}
	log := &syncBuffer{}
	var senders []*countingSender
	var stops []func(context.Context) error
	for _, st := range []*store.Store{a, b} {
		cs := &countingSender{Sender: plainSender(f)}
		senders = append(senders, cs)
		d := &mail.Dispatcher{Store: st, Sender: cs, Logger: slog.New(slog.NewJSONHandler(log, nil)), Interval: 10 * time.Millisecond, Lease: 30 * time.Second, Batch: 3}
		stops = append(stops, d.Start(ctx))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending, err := a.ListOutbox(ctx, store.OutboxFilter{PendingOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still pending after 30s", len(pending))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Another round for both: nothing more goes out.
	time.Sleep(50 * time.Millisecond)
	for _, stop := range stops {
		stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := stop(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		cancel()
	}

	seen := map[string]int{}
	for _, d := range f.deliveries() {
		seen[d.messageID(t)]++
	}
	for i := range n {
		id := fmt.Sprintf("<m%02d@dsrflow>", i)
		if seen[id] != 1 {
			t.Errorf("%s delivered %d times, want 1", id, seen[id])
		}
	}
	if len(f.deliveries()) != n {
		t.Errorf("%d deliveries, want %d", len(f.deliveries()), n)
	}
	t.Logf("dispatcher a sent %d, b sent %d", senders[0].n.Load(), senders[1].n.Load())
	noPersonalData(t, log.String())
}

// blockingSender holds each message until its context ends, like a server that stops answering.
type blockingSender struct{ started chan struct{} }

func (b *blockingSender) Send(ctx context.Context, m store.Message) error {
	close(b.started)
	<-ctx.Done()
	return ctx.Err()
}

// TestDispatcherStops: stopping cancels a delivery in progress and waits for the dispatcher; the message
// is neither marked sent nor counted as a failed attempt, and its claim lets it go out later.
func TestDispatcherStops(t *testing.T) {
	st := sqliteStore(t, filepath.Join(t.TempDir(), "dsrflow.db"))
	enqueueJane(t, st, "m1", time.Now().Add(-time.Minute))
	bs := &blockingSender{started: make(chan struct{})}
	stop := (&mail.Dispatcher{Store: st, Sender: bs, Lease: time.Minute}).Start(ctx)
	select {
	case <-bs.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the dispatcher did not start sending")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	begin := time.Now()
	if err := stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Fatalf("stop took %s", d)
	}
	if m := outboxMessage(t, st, "m1"); m.SentAt != nil || m.Attempts != 0 {
		t.Fatalf("after an interrupted send: sent %v, attempts %d", m.SentAt, m.Attempts)
	}
	if ms, err := st.ClaimOutbox(ctx, time.Now().Add(time.Minute), time.Minute, 10); err != nil || len(ms) != 1 {
		t.Fatalf("claim after the lease = %d messages, %v; want m1 again", len(ms), err)
	}
}
