// Package slack is dsrflow's Slack app. It shows review cards and alerts (a dsrflow.Notifier), and turns
// reviewers' clicks into dsrflow.Votes for a dsrflow.Dispatcher, whether Slack delivers them over HTTP
// (POST /slack/interactions, signed with the signing secret) or over Socket Mode (the app token). Slack
// messages name cases, never subjects.
package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
)

// Limits and timeouts.
const (
	// maxRateLimitWait is the longest Retry-After a call waits out itself; a longer one is returned as an
	// error for the caller (a retried activity) to wait.
	maxRateLimitWait = 10 * time.Second
	maxAttempts      = 3
	// voteTimeout bounds the work a click starts after it is acknowledged: the dispatch and the answer.
	voteTimeout = 30 * time.Second
	// callTimeout bounds one Web API call when the caller's context has no deadline.
	callTimeout = 20 * time.Second
)

// Slack is the Slack app: a Notifier for the worker, an HTTP handler and a Socket Mode runner for the
// front door.
type Slack struct {
	cfg        config.Slack
	api        *slack.Client
	reviewers  dsrflow.Reviewers
	dispatcher dsrflow.Dispatcher
	log        *slog.Logger
	now        func() time.Time

	deliveries *recent // interaction deliveries already handled: Slack's retries and replays

	mu     sync.Mutex
	closed bool
	work   sync.WaitGroup // clicks being handled after their acknowledgement
	base   context.Context
	cancel context.CancelFunc
}

// New builds the Slack app from its configuration. d receives the votes; it may be nil in a process that
// only posts (the worker), where Handler answers 503 and RunSocketMode refuses to start.
func New(cfg config.Slack, reviewers dsrflow.Reviewers, d dsrflow.Dispatcher, logger *slog.Logger) (*Slack, error) {
	if !cfg.Enabled() {
		return nil, errors.New("slack: not configured (SLACK_BOT_TOKEN is unset)")
	}
	if cfg.ReviewChannel == "" {
		return nil, errors.New("slack: no review channel (DSR_SLACK_REVIEW_CHANNEL)")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = config.DefaultSlackAPIURL
	}
	if cfg.AlertChannel == "" {
		cfg.AlertChannel = cfg.ReviewChannel
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Slack{
		cfg:        cfg,
		reviewers:  reviewers,
		dispatcher: d,
		log:        logger.With("component", "slack"),
		now:        time.Now,
		deliveries: newRecent(10 * time.Minute), // longer than the 5 minutes a signature is accepted
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.api = slack.New(cfg.BotToken, s.apiOptions()...)
	return s, nil
}

func (s *Slack) apiOptions() []slack.Option {
	return []slack.Option{
		slack.OptionAPIURL(s.cfg.APIURL),
		slack.OptionHTTPClient(&http.Client{Timeout: callTimeout}),
		// slack-go logs only in debug mode, which stays off: its debug output holds message content.
		slack.OptionLog(log.New(io.Discard, "", 0)),
	}
}

// Notifier is the Slack app as a dsrflow.Notifier.
func (s *Slack) Notifier() dsrflow.Notifier { return s }

// Check calls auth.test: the bot token is valid and Slack reachable. For readiness and start-up logs.
func (s *Slack) Check(ctx context.Context) error {
	return s.call(ctx, "auth.test", func(ctx context.Context) error {
		_, err := s.api.AuthTestContext(ctx)
		return err
	})
}

// Close stops taking clicks and waits, until ctx ends, for the clicks already acknowledged to be handled.
func (s *Slack) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.work.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel() // the votes still in flight are abandoned; the reviewers are told nothing
		return ctx.Err()
	}
}

// goAsync runs f after the acknowledgement, detached from the request, bounded by voteTimeout. It reports
// false when the app is closing.
func (s *Slack) goAsync(f func(ctx context.Context)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.work.Go(func() {
		ctx, cancel := context.WithTimeout(s.base, voteTimeout)
		defer cancel()
		f(ctx)
	})
	return true
}

// call runs one Web API call. A rate limit (429 with Retry-After) of up to maxRateLimitWait is waited out
// and the call repeated, at most maxAttempts times in all; a 429 means Slack did nothing, so repeating
// even chat.postMessage posts once. Anything else is returned, named by the method, for the caller to
// retry.
func (s *Slack) call(ctx context.Context, method string, f func(context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout+maxAttempts*maxRateLimitWait)
		defer cancel()
	}
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return fmt.Errorf("slack %s: %w", method, err)
		}
		wait := max(rl.RetryAfter, time.Second)
		if attempt >= maxAttempts || wait > maxRateLimitWait {
			return fmt.Errorf("slack %s: rate limited, retry after %s: %w", method, wait, err)
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return fmt.Errorf("slack %s: rate limited, retry after %s: %w", method, wait, err)
		}
		s.log.Warn("slack rate limit: waiting", "method", method, "retry_after", wait, "attempt", attempt)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("slack %s: %w", method, ctx.Err())
		}
	}
}

// recent remembers keys for a while: the interaction deliveries already taken.
type recent struct {
	ttl  time.Duration
	mu   sync.Mutex
	seen map[string]time.Time
}

func newRecent(ttl time.Duration) *recent { return &recent{ttl: ttl, seen: map[string]time.Time{}} }

// first records key and reports whether it is new (not seen within the ttl).
func (r *recent) first(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, t := range r.seen {
		if now.Sub(t) > r.ttl {
			delete(r.seen, k)
		}
	}
	if _, ok := r.seen[key]; ok {
		return false
	}
	r.seen[key] = now
	return true
}
