package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CallError is a failed call to a connector. Its message names the connector, the job and the HTTP
// status, never the answer's body: a connector's error text may hold personal data.
type CallError struct {
	Connector string
	// StatusCode is the HTTP status of the answer; 0 when there was no answer (network, timeout).
	StatusCode int
	// Permanent means retrying the same job will not help: a 4xx other than 429, or an invalid answer.
	Permanent bool
	// RetryAfter is the connector's Retry-After for a retryable failure, 0 when it gave none.
	RetryAfter time.Duration
	Message    string

	err error // the transport error, for errors.Is (context.DeadlineExceeded, ...)
}

func (e *CallError) Error() string {
	return "connector " + e.Connector + ": " + e.Message
}

func (e *CallError) Unwrap() error { return e.err }

// Protocol v1's defaults for a connector's endpoint.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultConcurrency = 4
	// MinSecretBytes is the shortest HMAC secret accepted.
	MinSecretBytes = 32
)

// Endpoint is a connector as protocol v1 reaches it: the settings of a kind that speaks it give it
// (Connector.Endpoint, connectors/httpkind).
type Endpoint struct {
	// ID is the connector's id: jobs carry it, and it keys the connector's call slots.
	ID string
	// URL is the connector's base URL: jobs go to {URL}/v1/jobs.
	URL string
	// Secret is the HMAC key shared with the connector. Never logged nor serialised.
	Secret []byte `json:"-"`
	// Timeout bounds one call; 0 leaves it to the context.
	Timeout time.Duration
	// Concurrency is how many calls may be in flight to the connector; 0 is DefaultConcurrency.
	Concurrency int
}

// Client calls connectors over protocol v1. The zero value is ready: HTTP defaults to a client that
// does not follow redirects, Now to time.Now. It keeps at most Endpoint.Concurrency calls in flight
// per connector (Endpoint.Concurrency). Use one Client per process, by pointer.
type Client struct {
	HTTP *http.Client
	Now  func() time.Time

	mu    sync.Mutex
	slots map[string]chan struct{}
}

// noRedirects is the default HTTP client: a redirected POST would lose its body and signature.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return noRedirects
}

// acquire waits for a free call slot on the connector.
func (c *Client) acquire(ctx context.Context, conn Endpoint) (release func(), err error) {
	n := conn.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	c.mu.Lock()
	if c.slots == nil {
		c.slots = map[string]chan struct{}{}
	}
	slot, ok := c.slots[conn.ID]
	if !ok || cap(slot) != n {
		slot = make(chan struct{}, n)
		c.slots[conn.ID] = slot
	}
	c.mu.Unlock()
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Submit posts the job to the connector. It returns the final Result (HTTP 200) or a Result with
// Status accepted (HTTP 202): the final one follows by callback or Poll. Empty Protocol and
// Connector are filled in. Errors are *CallError.
func (c *Client) Submit(ctx context.Context, conn Endpoint, job Job) (Result, error) {
	if job.Protocol == "" {
		job.Protocol = ProtocolVersion
	}
	if job.Connector == "" {
		job.Connector = conn.ID
	}
	op := "submit job " + job.ID
	if job.Connector != conn.ID {
		return Result{}, &CallError{Connector: conn.ID, Permanent: true, Message: op + ": job is for another connector"}
	}
	if err := job.Validate(); err != nil {
		return Result{}, &CallError{Connector: conn.ID, Permanent: true, Message: op + ": " + err.Error()}
	}
	body, err := json.Marshal(job)
	if err != nil {
		return Result{}, &CallError{Connector: conn.ID, Permanent: true, Message: op + ": encode job", err: err}
	}
	if len(body) > MaxJobBytes {
		return Result{}, &CallError{Connector: conn.ID, Permanent: true, Message: op + ": job over the 1 MiB limit"}
	}
	status, data, err := c.call(ctx, conn, op, http.MethodPost, "/v1/jobs", body)
	if err != nil {
		return Result{}, err
	}
	switch status {
	case http.StatusOK:
		return decodeResult(conn.ID, op, job.ID, data)
	default: // 202
		var ack Ack
		if len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, &ack); err != nil {
				return Result{}, &CallError{Connector: conn.ID, StatusCode: status, Permanent: true, Message: op + ": HTTP 202 with an invalid body"}
			}
			if ack.JobID != "" && ack.JobID != job.ID {
				return Result{}, &CallError{Connector: conn.ID, StatusCode: status, Permanent: true, Message: op + ": HTTP 202 for another job"}
			}
		}
		return Result{JobID: job.ID, Status: StatusAccepted}, nil
	}
}

// Poll asks the connector for the result of an accepted job. It returns the final Result (HTTP 200) or
// a Result with Status pending (HTTP 202). A job the connector does not know (HTTP 404) is a permanent
// *CallError with StatusCode 404: submit the job again.
func (c *Client) Poll(ctx context.Context, conn Endpoint, jobID string) (Result, error) {
	op := "poll job " + jobID
	if jobID == "" {
		return Result{}, &CallError{Connector: conn.ID, Permanent: true, Message: "poll: job id is required"}
	}
	status, data, err := c.call(ctx, conn, op, http.MethodGet, "/v1/jobs/"+url.PathEscape(jobID), nil)
	if err != nil {
		return Result{}, err
	}
	if status == http.StatusOK {
		return decodeResult(conn.ID, op, jobID, data)
	}
	return Result{JobID: jobID, Status: StatusPending}, nil
}

func decodeResult(connID, op, jobID string, data []byte) (Result, error) {
	var res Result
	if err := json.Unmarshal(data, &res); err != nil {
		return Result{}, &CallError{Connector: connID, StatusCode: http.StatusOK, Permanent: true, Message: op + ": HTTP 200 with an invalid result"}
	}
	if err := res.Validate(jobID); err != nil {
		return Result{}, &CallError{Connector: connID, StatusCode: http.StatusOK, Permanent: true, Message: op + ": HTTP 200 with an invalid result: " + err.Error()}
	}
	return res, nil
}

// call makes one signed request and returns a 200 or 202 answer's status and body; any other outcome is
// a *CallError.
func (c *Client) call(ctx context.Context, conn Endpoint, op, method, path string, body []byte) (int, []byte, error) {
	fail := func(status int, permanent bool, msg string, err error) (int, []byte, error) {
		return 0, nil, &CallError{Connector: conn.ID, StatusCode: status, Permanent: permanent, Message: op + ": " + msg, err: err}
	}
	if len(conn.Secret) == 0 {
		return fail(0, true, "connector has no secret", nil)
	}
	release, err := c.acquire(ctx, conn)
	if err != nil {
		return fail(0, false, "waiting for a free slot: "+err.Error(), err)
	}
	defer release()
	if conn.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, conn.Timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(conn.URL, "/")+path, rd)
	if err != nil {
		return fail(0, true, "bad connector url", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	SignRequest(req, conn.Secret, body, c.now())
	resp, err := c.http().Do(req)
	if err != nil {
		return fail(0, false, transportReason(err), err)
	}
	defer resp.Body.Close()

	status := resp.StatusCode
	if status != http.StatusOK && status != http.StatusAccepted {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		msg := fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
		e := &CallError{Connector: conn.ID, StatusCode: status, Message: op + ": " + msg}
		switch {
		case status == http.StatusTooManyRequests || status >= 500:
			e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
			if e.RetryAfter > 0 {
				e.Message += ", retry after " + e.RetryAfter.String()
			}
		case status == http.StatusNotFound && method == http.MethodGet:
			e.Permanent = true
			e.Message += ": job unknown to the connector"
		default: // other 4xx, and 1xx/3xx which protocol v1 never sends
			e.Permanent = true
		}
		return 0, nil, e
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResultBytes+1))
	if err != nil {
		return fail(status, false, "reading the answer: "+transportReason(err), err)
	}
	if len(data) > MaxResultBytes {
		return fail(status, true, "answer over the 32 MiB limit", nil)
	}
	return status, data, nil
}

// transportReason is a short text for a failed round trip; url.Error would repeat the URL.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return err.Error()
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date. It returns 0 for an absent,
// unreadable or past value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
