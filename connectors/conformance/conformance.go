// Package conformance checks a live connector against the promises of protocol v1 (connectors/PROTOCOL.md)
// over real HTTP: it signs, forges and malforms jobs for a subject nobody holds and reads the answers.
// `starter connector check` runs it before a connector goes into connectors.yaml.
//
// What cannot be seen from outside is not claimed: a connector's effects are invisible over the
// protocol, so idempotency is checked as "the same job id gets the same answer".
package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Target is the connector under check and how to talk to it.
type Target struct {
	// URL is the connector's base URL, as in connectors.yaml: jobs go to {URL}/v1/jobs.
	URL string
	// Secret is the shared HMAC secret.
	Secret []byte
	// Connector is the id put in jobs; default GuessConnector(URL).
	Connector string
	// Action is what the jobs ask for; default access. Processors (role processor) are checked with
	// locate: an unknown subject's answer names no tenants and carries no records. Partners, which take notify and optout, use one
	// of those.
	Action dsrflow.Action
	// Identities are the subject of the jobs; default a random address nobody holds
	// (conformance-<random>@example.invalid). Give identities the connector matches on, of a subject it
	// does not hold.
	Identities dsrflow.Identity
	// Foreign is an identifier (customer id, phone, ...) of a subject the connector does hold, that
	// ForeignIdentifierConflicts adds, unverified, to Identities: the connector must answer
	// identity_conflict and nothing of that subject. Without it that check is not made.
	Foreign dsrflow.Identity
	// HTTP makes the calls; default a client with a 30 s timeout that does not follow redirects.
	HTTP *http.Client
	// Now is the clock for signatures; default time.Now.
	Now func() time.Time
	// PollTimeout bounds the wait for an accepted (202) job's final status; default 30 s.
	PollTimeout time.Duration
	// PollInterval is the wait between polls; default 200 ms.
	PollInterval time.Duration
}

// Result is one check's outcome. Detail says why, and never quotes the connector's answer bodies.
type Result struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Check is one promise of protocol v1, checked against a live connector.
type Check func(ctx context.Context, t Target) Result

// Checks are every check, in the order Run runs them.
var Checks = []Check{
	RejectsUnsigned,
	RejectsForgedSignature,
	RejectsStaleTimestamp,
	UnknownSubjectNotFound,
	SameJobSameAnswer,
	AcceptedJobReachesFinal,
	InvalidJSONIs4xx,
	MissingJobIDIs4xx,
	UnknownActionIs4xx,
	AnswerCarriesJobID,
	ForeignIdentifierConflicts,
}

// Run runs every check in turn and returns their results.
func Run(ctx context.Context, t Target) []Result {
	t = t.withDefaults()
	out := make([]Result, 0, len(Checks))
	for _, c := range Checks {
		out = append(out, c(ctx, t))
	}
	return out
}

var connectorID = regexp.MustCompile(`^[a-z0-9_-]+$`)

// GuessConnector returns the last path segment of a connector's URL when it can be a connector id
// (https://x.example/crm → crm), else "conformance". Connectors that check the job's connector field
// need the right one: pass it in Target.Connector.
func GuessConnector(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err == nil {
		path := strings.TrimSuffix(u.Path, "/")
		if seg := path[strings.LastIndexByte(path, '/')+1:]; connectorID.MatchString(seg) {
			return seg
		}
	}
	return "conformance"
}

// ParseIdentities reads TYPE=VALUE pairs: email, name, phone or customer_id:SYSTEM.
func ParseIdentities(pairs []string) (dsrflow.Identity, error) {
	var id dsrflow.Identity
	for _, kv := range pairs {
		typ, value, ok := strings.Cut(kv, "=")
		typ = strings.TrimSpace(typ)
		if !ok || value == "" {
			return dsrflow.Identity{}, dsrflow.Errorf(dsrflow.EINVALID, "identity %q wants TYPE=VALUE", typ)
		}
		switch {
		case typ == dsrflow.IdentityEmail:
			id.Email = value
		case typ == dsrflow.IdentityName:
			id.Name = value
		case typ == dsrflow.IdentityPhone:
			id.Phone = value
		case strings.HasPrefix(typ, dsrflow.IdentityCustomerID+":") && len(typ) > len(dsrflow.IdentityCustomerID)+1:
			if id.CustomerIDs == nil {
				id.CustomerIDs = map[string]string{}
			}
			id.CustomerIDs[strings.TrimPrefix(typ, dsrflow.IdentityCustomerID+":")] = value
		default:
			return dsrflow.Identity{}, dsrflow.Errorf(dsrflow.EINVALID, "identity type %q is not email, name, phone or customer_id:SYSTEM", typ)
		}
	}
	return id, nil
}

// noRedirects: protocol v1 forbids redirects, and a redirected POST would lose its body.
var noRedirects = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (t Target) withDefaults() Target {
	t.URL = strings.TrimSuffix(t.URL, "/")
	if t.Connector == "" {
		t.Connector = GuessConnector(t.URL)
	}
	if t.Action == "" {
		t.Action = dsrflow.ActionAccess
	}
	if len(t.Identities.Types()) == 0 {
		t.Identities = dsrflow.Identity{Email: "conformance-" + random() + "@example.invalid"}
	}
	if t.HTTP == nil {
		t.HTTP = noRedirects
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	if t.PollTimeout <= 0 {
		t.PollTimeout = 30 * time.Second
	}
	if t.PollInterval <= 0 {
		t.PollInterval = 200 * time.Millisecond
	}
	return t
}

func random() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// job returns a new valid job for action: a fresh request id, so no check sees another's answers.
func (t Target) job(action dsrflow.Action) connectors.Job {
	req := "conformance_" + random()
	job := connectors.Job{
		Protocol:   connectors.ProtocolVersion,
		ID:         connectors.JobID(req, t.Connector, action),
		RequestID:  req,
		Connector:  t.Connector,
		Action:     action,
		Identities: t.Identities,
		Deadline:   t.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second),
	}
	switch action {
	case dsrflow.ActionRectify:
		job.Corrections = map[string]string{"user.name": "Conformance Check"}
	case dsrflow.ActionNotify:
		job.Cause = dsrflow.Erasure
	case dsrflow.ActionPurge:
		cutoff := t.Now().AddDate(-100, 0, 0).UTC()
		job.Cutoff = &cutoff
	}
	return job
}

// signer sets (or leaves out, or spoils) a request's signature headers.
type signer func(req *http.Request, body []byte)

func (t Target) signed() signer {
	return func(req *http.Request, body []byte) { connectors.SignRequest(req, t.Secret, body, t.Now()) }
}

// answer is an HTTP answer; its body is read for the protocol's fields only, never shown.
type answer struct {
	status int
	body   []byte
}

func (t Target) call(ctx context.Context, method, path string, body []byte, sign signer) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL+path, rd)
	if err != nil {
		return answer{}, fmt.Errorf("bad url: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if sign != nil {
		sign(req, body)
	}
	resp, err := t.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		return answer{}, fmt.Errorf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, connectors.MaxResultBytes+1))
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the answer: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, body: data}, nil
}

// post sends a job (or any body) to /v1/jobs.
func (t Target) post(ctx context.Context, body []byte, sign signer) (answer, error) {
	return t.call(ctx, http.MethodPost, "/v1/jobs", body, sign)
}

// outcome is a job submitted and, when accepted, polled to its end.
type outcome struct {
	status int               // of the submission: 200 or 202
	ack    connectors.Ack    // the 202 body
	result connectors.Result // the final result, from the 200 or the last poll
	polls  int
}

// submit posts the signed job and, on 202, polls until a final status. Its error is a detail for a
// Result.
func (t Target) submit(ctx context.Context, job connectors.Job) (outcome, error) {
	body, err := json.Marshal(job)
	if err != nil {
		return outcome{}, err
	}
	a, err := t.post(ctx, body, t.signed())
	if err != nil {
		return outcome{}, err
	}
	out := outcome{status: a.status}
	switch a.status {
	case http.StatusOK:
		if err := json.Unmarshal(a.body, &out.result); err != nil {
			return out, errors.New("the job was answered 200 with a body that is not a result")
		}
		return out, nil
	case http.StatusAccepted:
		if len(bytes.TrimSpace(a.body)) > 0 {
			if err := json.Unmarshal(a.body, &out.ack); err != nil {
				return out, errors.New("the job was answered 202 with a body that is not JSON")
			}
		}
		out.result, out.polls, err = t.wait(ctx, job.ID)
		return out, err
	default:
		return out, unexpected("the job", a.status)
	}
}

// wait polls GET /v1/jobs/{id} until a final result, at most PollTimeout.
func (t Target) wait(ctx context.Context, jobID string) (connectors.Result, int, error) {
	ctx, cancel := context.WithTimeout(ctx, t.PollTimeout)
	defer cancel()
	path := "/v1/jobs/" + url.PathEscape(jobID)
	for polls := 1; ; polls++ {
		a, err := t.call(ctx, http.MethodGet, path, nil, t.signed())
		if err != nil {
			if ctx.Err() != nil {
				return connectors.Result{}, polls, fmt.Errorf("no final status after %s of polling", t.PollTimeout)
			}
			return connectors.Result{}, polls, err
		}
		switch a.status {
		case http.StatusOK:
			var res connectors.Result
			if err := json.Unmarshal(a.body, &res); err != nil {
				return res, polls, errors.New("a poll was answered 200 with a body that is not a result")
			}
			if !res.Status.Final() {
				return res, polls, fmt.Errorf("a poll was answered 200 with status %q, which is not final", res.Status)
			}
			return res, polls, nil
		case http.StatusAccepted:
		case http.StatusNotFound:
			return connectors.Result{}, polls, errors.New("a poll was answered 404: the connector forgot a job it accepted")
		default:
			return connectors.Result{}, polls, unexpected("a poll", a.status)
		}
		select {
		case <-ctx.Done():
			return connectors.Result{}, polls, fmt.Errorf("no final status after %s of polling (%d polls)", t.PollTimeout, polls)
		case <-time.After(t.PollInterval):
		}
	}
}

func unexpected(what string, status int) error {
	msg := fmt.Sprintf("%s was answered HTTP %d", what, status)
	if status == http.StatusUnauthorized {
		msg += ": the signature was refused; check the secret and the clock"
	}
	return errors.New(msg)
}
