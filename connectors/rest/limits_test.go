package rest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// countingThrottle stands in for the store's throttle: it counts the rate tokens taken, and answers
// busy once it has given limit of them.
type countingThrottle struct {
	mu    sync.Mutex
	paced int
	limit int
}

func (c *countingThrottle) Acquire(context.Context, connectors.Connector) (func(), error) {
	return func() {}, nil
}

func (c *countingThrottle) Pace(_ context.Context, conn connectors.Connector) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit > 0 && c.paced >= c.limit {
		return &connectors.BusyError{Connector: conn.ID, RetryAfter: 3 * time.Second, Reason: "test"}
	}
	c.paced++
	return nil
}

func openThrottled(t *testing.T, yaml string, th connectors.Throttle) connectors.Runner {
	t.Helper()
	getenv := func(k string) string { return crmEnv[k] }
	reg, err := connectors.Parse([]byte(yaml), getenv)
	if err != nil {
		t.Fatal(err)
	}
	r, err := connectors.Open(context.Background(), reg.List()[0], connectors.Env{Getenv: getenv, Throttle: th})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// TestRateAcrossWorkersCountsRequests: a rest connector with a rate takes one token of the shared rate
// (connectors.yaml's rate and burst, held across workers) for every request it sends, retried ones
// included, and tells the activities so (Pacer); when the rate lets no request go for a while, the job
// gives the wait back to its retry policy rather than failing.
func TestRateAcrossWorkersCountsRequests(t *testing.T) {
	c, srv := newCRM(t)
	yaml := strings.Replace(crmYAML(srv.URL, eraseByDelete), "    retries: 3\n", "    retries: 3\n    rate: 5\n    burst: 2\n", 1)
	th := &countingThrottle{}
	r := openThrottled(t, yaml, th)
	if p, ok := r.(connectors.Pacer); !ok || !p.PacesItsCalls() {
		t.Fatal("a rest connector with a rate does not pace its own requests")
	}
	c.mu.Lock()
	c.throttle, c.retryWait = 1, 0 // one 429: its retry is a request too
	c.mu.Unlock()
	if _, err := r.Run(context.Background(), job(dsrflow.ActionOptout, jane)); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	sent := len(c.calls) + 1 // the calls that got through, and the 429
	c.mu.Unlock()
	if th.paced != sent {
		t.Fatalf("%d tokens taken for %d requests", th.paced, sent)
	}

	busy := &countingThrottle{limit: 1}
	r = openThrottled(t, yaml, busy)
	_, err := r.Run(context.Background(), job(dsrflow.ActionOptout, jane))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || ce.Permanent || ce.RetryAfter != 3*time.Second {
		t.Fatalf("a job whose rate lets no request go: %v, want a retryable error after 3s", err)
	}

	// Without a rate the runner takes no token, and the activities take one per job instead.
	r = openThrottled(t, crmYAML(srv.URL, eraseByDelete), &countingThrottle{})
	if p, ok := r.(connectors.Pacer); ok && p.PacesItsCalls() {
		t.Fatal("a rest connector without a rate claims to pace its requests")
	}
}
