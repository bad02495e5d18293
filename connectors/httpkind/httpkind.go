// Package httpkind is the http connector kind: the system implements dsrflow's connector protocol v1
// (connectors/PROTOCOL.md), and dsrflow reaches it over HTTP(S) with connectors.Client. In
// connectors.yaml:
//
//	kind: http
//	url: https://crm.example.com/dsrflow   # jobs go to {url}/v1/jobs
//	secret_env: CRM_SECRET                 # the variable holding the shared HMAC secret (>= 32 bytes)
//	timeout: 30s                           # optional: how long one call may take
//	concurrency: 4                         # optional: calls in flight to the connector at most
package httpkind

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
)

// Name is the kind's value of kind: in connectors.yaml.
const Name = "http"

func init() { connectors.Register(kind{}) }

// Settings are an http connector's own configuration.
type Settings struct {
	// URL is the connector's base URL: jobs go to {URL}/v1/jobs.
	URL string
	// Secret is the HMAC key shared with the connector, read from the secret_env variable.
	Secret []byte `json:"-"`
	// Timeout bounds one call (default connectors.DefaultTimeout).
	Timeout time.Duration
	// Concurrency is how many calls may be in flight to the connector (default connectors.DefaultConcurrency).
	Concurrency int
}

// Endpoint implements connectors.Speaker: an http connector speaks protocol v1 and may call back.
func (s Settings) Endpoint(connectorID string) connectors.Endpoint {
	return connectors.Endpoint{ID: connectorID, URL: s.URL, Secret: s.Secret, Timeout: s.Timeout, Concurrency: s.Concurrency}
}

// Kind implements connectors.Settings.
func (Settings) Kind() string { return Name }

// Clone copies the secret.
func (s Settings) Clone() connectors.Settings {
	s.Secret = slices.Clone(s.Secret)
	return s
}

// Defaults fills in Timeout and Concurrency.
func (s Settings) Defaults(c connectors.Connector) connectors.Connector {
	if s.Timeout == 0 {
		s.Timeout = connectors.DefaultTimeout
	}
	if s.Concurrency == 0 {
		s.Concurrency = connectors.DefaultConcurrency
	}
	c.Settings = s
	return c
}

// Check checks the URL, the secret and the limits.
func (s Settings) Check(connectors.Connector) []connectors.Problem {
	var ps []connectors.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf(field, format, args...))
	}
	if s.URL == "" {
		add("url", "url is required")
	} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("url", "url must be an absolute http or https URL")
	} else if u.RawQuery != "" || u.Fragment != "" {
		add("url", "url must not have a query or fragment")
	}
	if len(s.Secret) == 0 {
		add("secret_env", "secret is required")
	} else if len(s.Secret) < connectors.MinSecretBytes {
		add("secret_env", "secret must be at least %d bytes", connectors.MinSecretBytes)
	}
	if s.Timeout < 0 {
		add("timeout", "timeout must be positive")
	}
	if s.Concurrency < 0 {
		add("concurrency", "concurrency must be at least 1")
	}
	return ps
}

type kind struct{}

func (kind) Name() string     { return Name }
func (kind) Fields() []string { return []string{"url", "secret_env", "timeout", "concurrency"} }

func (kind) Decode(sec *connectors.Section) connectors.Settings {
	var s Settings
	s.URL, _ = sec.String("url")
	if !sec.Has("secret_env") {
		sec.Reported("secret_env", "secret_env is required")
	} else if env, ok := sec.String("secret_env"); ok {
		switch secret := sec.Getenv(env); {
		case env == "":
			sec.Reported("secret_env", "secret_env must name an environment variable")
		case secret == "":
			sec.Reported("secret_env", "secret_env: variable %s is not set", env)
		case len(secret) < connectors.MinSecretBytes:
			sec.Reported("secret_env", "secret_env: variable %s must hold at least %d bytes", env, connectors.MinSecretBytes)
		default:
			s.Secret = []byte(secret)
		}
	}
	if sec.Has("timeout") {
		s.Timeout, _ = sec.Duration("timeout")
	}
	if v, ok := sec.String("concurrency"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			sec.Reported("concurrency", "concurrency must be a whole number of at least 1")
		} else {
			s.Concurrency = n
		}
	}
	return s
}

// Open returns the connector's protocol v1 client: its calls go out as jobs are run, nothing is
// connected to at start.
func (kind) Open(_ context.Context, c connectors.Connector, _ connectors.Env) (connectors.Runner, error) {
	ep, ok := c.Endpoint()
	if !ok {
		return nil, fmt.Errorf("connector %s: settings are not an http connector's", c.ID)
	}
	return &runner{ep: ep, client: &connectors.Client{}}, nil
}

// runner runs a connector's jobs over protocol v1.
type runner struct {
	ep     connectors.Endpoint
	client *connectors.Client
}

func (r *runner) Run(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	return r.client.Submit(ctx, r.ep, job)
}

func (r *runner) Poll(ctx context.Context, jobID string) (connectors.Result, error) {
	return r.client.Poll(ctx, r.ep, jobID)
}

func (r *runner) Close() error { return nil }
