package rest

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

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// maxAnswerBytes bounds one answer of the API.
const maxAnswerBytes = 32 << 20

// Runner carries out a rest connector's jobs against its API. It is safe for concurrent use.
type Runner struct {
	conn  connectors.Connector
	set   Settings
	base  *url.URL
	http  *http.Client
	auth  *authenticator
	limit *limiter
	// pace waits for the connector's next request under its rate across every worker
	// (connectors.yaml's rate and burst; Env.Throttle); nil when it has none.
	pace     func(context.Context) error
	datasets []compiled
	// locate is a processor's locate: request, parsed.
	locate requestTemplates
	// backoff is the first wait before retrying a call that gave no Retry-After; it doubles.
	backoff time.Duration
}

// compiled is a dataset with its templates parsed.
type compiled struct {
	Dataset
	read      requestTemplates
	actions   map[dsrflow.Action]requestTemplates
	then      map[dsrflow.Action]requestTemplates
	purgeRead requestTemplates
}

// open reads the connector's secrets and parses its templates.
func open(c connectors.Connector, getenv func(string) string) (*Runner, error) {
	s, ok := Of(c)
	if !ok {
		return nil, fmt.Errorf("connector %s: settings are not a rest connector's", c.ID)
	}
	base, err := url.Parse(strings.TrimSuffix(s.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("connector %s: base_url: %w", c.ID, err)
	}
	secrets := map[string]string{}
	for key, env := range s.Auth.envs() {
		v := getenv(env)
		if v == "" {
			return nil, fmt.Errorf("connector %s: auth: %s: variable %s is not set", c.ID, key, env)
		}
		secrets[key] = v
	}
	client := &http.Client{
		Timeout: s.Timeout,
		// A redirect could carry the credentials, or an identity in the URL, to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	r := &Runner{
		conn: c, set: s, base: base, http: client,
		auth:    &authenticator{a: s.Auth, secrets: secrets, http: client},
		limit:   newLimiter(s.RateLimit),
		backoff: 200 * time.Millisecond,
	}
	for i, d := range s.Datasets {
		cd := compiled{Dataset: d, actions: map[dsrflow.Action]requestTemplates{}, then: map[dsrflow.Action]requestTemplates{}}
		var errs []fieldError
		cd.read, errs = parseRequest(d.Read)
		for _, a := range restActions[1:] {
			if req := d.requestFor(a); req != nil {
				rt, e := parseRequest(req.Request)
				cd.actions[a], errs = rt, append(errs, e...)
				if req.Then != nil {
					rt, e := parseRequest(*req.Then)
					cd.then[a], errs = rt, append(errs, e...)
				}
			}
		}
		if d.PurgeRead != nil {
			var e []fieldError
			cd.purgeRead, e = parseRequest(*d.PurgeRead)
			errs = append(errs, e...)
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("connector %s: dataset %s (datasets.%d): %s: %s", c.ID, d.Name, i, errs[0].field, errs[0].msg)
		}
		r.datasets = append(r.datasets, cd)
	}
	if s.Locate != nil {
		rt, errs := parseRequest(s.Locate.Request)
		if len(errs) > 0 {
			return nil, fmt.Errorf("connector %s: locate: %s: %s", c.ID, errs[0].field, errs[0].msg)
		}
		r.locate = rt
	}
	return r, nil
}

// PacesItsCalls tells the activities that the runner takes a rate token for each request it sends
// (connectors.Pacer), so they take none per job.
func (r *Runner) PacesItsCalls() bool { return r.pace != nil }

// Poll is never needed: Run's results are final.
func (r *Runner) Poll(context.Context, string) (connectors.Result, error) {
	return connectors.Result{}, r.fail(0, "a rest connector's jobs are final when run; there is nothing to poll")
}

// Close releases nothing: calls hold no connection beyond the HTTP client's pool.
func (r *Runner) Close() error {
	r.http.CloseIdleConnections()
	return nil
}

// fail is a permanent failure: a person must look at it.
func (r *Runner) fail(status int, format string, args ...any) *connectors.CallError {
	return &connectors.CallError{Connector: r.conn.ID, StatusCode: status, Permanent: true, Message: fmt.Sprintf(format, args...)}
}

// outcome is what an answer's code means for the request that got it.
type outcome int

const (
	outDone outcome = iota
	outNotFound
	outRetry
	outFail
)

func classify(req Request, code int) outcome {
	has := func(codes []int) bool {
		for _, c := range codes {
			if c == code {
				return true
			}
		}
		return false
	}
	switch {
	case has(req.Done):
		return outDone
	case has(req.NotFound):
		return outNotFound
	case has(req.Retry):
		return outRetry
	case code >= 200 && code < 300:
		return outDone
	case code == http.StatusNotFound || code == http.StatusGone:
		return outNotFound
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return outRetry
	}
	return outFail
}

// answer is a call's outcome, code, header and body.
type answer struct {
	outcome outcome
	code    int
	header  http.Header
	body    []byte
}

// call sends one request, honouring the rate limit, retrying 429s (after their Retry-After), 5xx and
// network errors up to the connector's retries, and fetching a new OAuth2 token once on a 401. op names
// the dataset and step for errors, which never hold the URL, the body or the answer: they may hold
// personal data.
func (r *Runner) call(ctx context.Context, op string, req Request, method string, u *url.URL, body []byte) (answer, error) {
	refreshed := false
	wait := r.backoff
	for attempt := 0; ; attempt++ {
		a, retryAfter, err := r.once(ctx, method, u, body)
		if err != nil {
			if ctx.Err() != nil {
				return answer{}, &connectors.CallError{Connector: r.conn.ID, Message: op + ": " + ctx.Err().Error()}
			}
			var ce *connectors.CallError
			if errors.As(err, &ce) {
				ce.Connector, ce.Message = r.conn.ID, op+": "+ce.Message
				return answer{}, ce
			}
			a = answer{outcome: outRetry}
		} else {
			a.outcome = classify(req, a.code)
		}
		if a.code == http.StatusUnauthorized && r.set.Auth.Type == AuthOAuth2 && !refreshed {
			// The cached token expired early or was revoked: one new token, then the answer stands.
			refreshed = true
			r.auth.invalidate()
			attempt--
			continue
		}
		switch a.outcome {
		case outDone, outNotFound:
			return a, nil
		case outFail:
			return a, r.fail(a.code, "%s: the API answered %d", op, a.code)
		}
		what := "a network error"
		if a.code != 0 {
			what = fmt.Sprintf("%d", a.code)
		}
		d := wait
		if retryAfter > 0 {
			d = retryAfter
		}
		if attempt >= r.set.Retries || d > MaxRetryWait {
			return a, &connectors.CallError{Connector: r.conn.ID, StatusCode: a.code, RetryAfter: retryAfter,
				Message: fmt.Sprintf("%s: the API answered %s after %d attempts; the job will be retried", op, what, attempt+1)}
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return answer{}, &connectors.CallError{Connector: r.conn.ID, Message: op + ": " + ctx.Err().Error()}
		case <-t.C:
		}
		wait *= 2
	}
}

// once makes one call; a transport error is returned without its URL.
func (r *Runner) once(ctx context.Context, method string, u *url.URL, body []byte) (answer, time.Duration, error) {
	if r.pace != nil {
		var busy *connectors.BusyError
		if err := r.pace(ctx); errors.As(err, &busy) {
			// The rate across workers lets no request go for a while: the job is retried later, and
			// what it already did counts as done then (a record gone or masked).
			return answer{}, 0, &connectors.CallError{Connector: r.conn.ID, RetryAfter: busy.RetryAfter, Message: "the connector's rate lets no request go now"}
		} else if err != nil {
			return answer{}, 0, &connectors.CallError{Connector: r.conn.ID, Message: "rate: " + err.Error()}
		}
	}
	release, err := r.limit.acquire(ctx)
	if err != nil {
		return answer{}, 0, err
	}
	defer release()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	target := *u
	req, err := http.NewRequestWithContext(ctx, method, target.String(), rd)
	if err != nil {
		return answer{}, 0, &connectors.CallError{Connector: r.conn.ID, Permanent: true, Message: "the request could not be built"}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := r.auth.apply(ctx, req); err != nil {
		return answer{}, 0, err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return answer{}, 0, fmt.Errorf("network: %T", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return answer{}, 0, fmt.Errorf("reading the answer: %T", err)
	}
	if len(data) > maxAnswerBytes {
		return answer{}, 0, &connectors.CallError{Connector: r.conn.ID, Permanent: true, Message: "the answer is larger than 32 MiB"}
	}
	return answer{code: resp.StatusCode, header: resp.Header, body: data}, retryAfter(resp.Header.Get("Retry-After"), time.Now()), nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// authenticator adds the connector's credentials to each call.
type authenticator struct {
	a       Auth
	secrets map[string]string // by auth key: token_env, password_env, ...
	http    *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (au *authenticator) apply(ctx context.Context, req *http.Request) error {
	switch au.a.Type {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+au.secrets["token_env"])
	case AuthBasic:
		user := au.a.Username
		if au.a.UsernameEnv != "" {
			user = au.secrets["username_env"]
		}
		req.SetBasicAuth(user, au.secrets["password_env"])
	case AuthAPIKey:
		if au.a.Header != "" {
			req.Header.Set(au.a.Header, au.secrets["key_env"])
		} else {
			q := req.URL.Query()
			q.Set(au.a.Query, au.secrets["key_env"])
			req.URL.RawQuery = q.Encode()
		}
	case AuthOAuth2:
		tok, err := au.oauthToken(ctx)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

func (au *authenticator) invalidate() {
	au.mu.Lock()
	au.token = ""
	au.mu.Unlock()
}

// oauthToken returns the cached token, or fetches one by the client credentials grant (RFC 6749 §4.4).
func (au *authenticator) oauthToken(ctx context.Context) (string, error) {
	au.mu.Lock()
	defer au.mu.Unlock()
	if au.token != "" && (au.expires.IsZero() || time.Now().Before(au.expires)) {
		return au.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {au.a.ClientID}, "client_secret": {au.secrets["client_secret_env"]}}
	if len(au.a.Scopes) > 0 {
		form.Set("scope", strings.Join(au.a.Scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, au.a.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", &connectors.CallError{Permanent: true, Message: "oauth2: the token request could not be built"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := au.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("oauth2 token: network error")
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", fmt.Errorf("oauth2 token: answered %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return "", &connectors.CallError{StatusCode: resp.StatusCode, Permanent: true, Message: fmt.Sprintf("oauth2: the token endpoint answered %d (check client_id and the client secret)", resp.StatusCode)}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", &connectors.CallError{Permanent: true, Message: "oauth2: the token endpoint's answer holds no access_token"}
	}
	au.token, au.expires = tok.AccessToken, time.Time{}
	if tok.ExpiresIn > 0 {
		// Renewed a little early, so that a token does not expire between here and the API.
		au.expires = time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second - min(30*time.Second, time.Duration(tok.ExpiresIn)*time.Second/10))
	}
	return au.token, nil
}

// limiter holds one connector's calls from this process to RPS per second in bursts of Burst, and at
// most Concurrency at once. It is per worker: several workers each keep their own.
type limiter struct {
	sem chan struct{}

	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newLimiter(rl RateLimit) *limiter {
	return &limiter{sem: make(chan struct{}, max(1, rl.Concurrency)), rate: rl.RPS, burst: float64(max(1, rl.Burst)), tokens: float64(max(1, rl.Burst))}
}

// acquire waits for a slot and a token.
func (l *limiter) acquire(ctx context.Context) (func(), error) {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-l.sem }
	for {
		d := l.take(time.Now())
		if d == 0 {
			return release, nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			release()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// take takes a token and returns 0, or how long until one is due.
func (l *limiter) take(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate <= 0 {
		return 0
	}
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return 0
	}
	return time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
}
