// Package apiclient is a dsrflow.RequestService over the front door's JSON API, for the CLI: the same
// operations the API's handlers (internal/web) serve, called with a bearer token. It depends on the
// standard library and the root package only. (After benbjohnson/wtf's http/dial.go, whose client
// implements the service its handlers serve.)
package apiclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dsrflow/dsrflow"
)

// Client calls the front door at URL with Token. The principal in a call's context is not sent: the
// token says who calls.
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client
}

var _ dsrflow.RequestService = (*Client)(nil)

// maxAnswer bounds an answer's body (an export is the largest).
const maxAnswer = 256 << 20

// errorBody is the front door's error answer.
type errorBody struct {
	Error  string            `json:"error"`
	Code   string            `json:"code"`
	Fields map[string]string `json:"fields"`
}

// Call sends a JSON request (body nil for none) and decodes a JSON answer into out (when not nil); raw
// answers are returned as they came. An error answer is a *dsrflow.Error with the front door's code,
// message and fields; a front door that cannot be reached is EUNAVAILABLE.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, header http.Header, body, out any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := c.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "cannot reach the front door at %s (DSR_URL): %v", c.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var e errorBody
		if json.Unmarshal(raw, &e) != nil || e.Code == "" {
			return nil, fmt.Errorf("front door answered %s", resp.Status)
		}
		return nil, &dsrflow.Error{Code: e.Code, Message: e.Error, Fields: e.Fields}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("front door answered something that is not JSON: %w", err)
		}
	}
	return raw, nil
}

func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.Call(ctx, http.MethodGet, path, query, nil, nil, out)
	return err
}

func (c *Client) post(ctx context.Context, path string, header http.Header, body, out any) error {
	_, err := c.Call(ctx, http.MethodPost, path, nil, header, body, out)
	return err
}

func requestPath(id string, rest ...string) string {
	p := "/api/v1/requests/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// idempotency is the header that makes a retried call count once, when the caller gave a key.
func idempotency(key string) http.Header {
	if key == "" {
		return nil
	}
	return http.Header{"Idempotency-Key": {key}}
}

// CreateRequest implements dsrflow.RequestService. The API starts every request it records, so a
// deferred start cannot be asked for over it.
func (c *Client) CreateRequest(ctx context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
	var out dsrflow.CreatedRequest
	if in.DeferStart {
		return out, dsrflow.Errorf(dsrflow.EINVALID, "the API starts every request it records")
	}
	return out, c.post(ctx, "/api/v1/requests", nil, in, &out)
}

// StartRequest implements dsrflow.RequestService: the API has started the request already (see
// CreateRequest), so there is nothing to do.
func (c *Client) StartRequest(context.Context, string) {}

// VerifyRequest implements dsrflow.RequestService.
func (c *Client) VerifyRequest(ctx context.Context, id, code string) (dsrflow.RequestState, error) {
	var out dsrflow.RequestState
	return out, c.post(ctx, requestPath(id, "verify"), nil, map[string]string{"code": code}, &out)
}

// VerifyEID implements dsrflow.RequestService: an eID verification is the broker's answer to the
// subject's browser, checked by the privacy center only; no API route takes one.
func (c *Client) VerifyEID(context.Context, string, dsrflow.EIDPerson) (dsrflow.RequestState, error) {
	return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.EFORBIDDEN, "an eID verification is made by the subject in the privacy center")
}

// ResendCode implements dsrflow.RequestService.
func (c *Client) ResendCode(ctx context.Context, id string) (dsrflow.RequestState, error) {
	var out dsrflow.RequestState
	return out, c.post(ctx, requestPath(id, "resend"), nil, struct{}{}, &out)
}

// decided is either answer of a decision route: a request's state, or a disclosure vote's outcome.
type decided struct {
	dsrflow.RequestState
	Accepted *bool  `json:"accepted"`
	State    string `json:"state"`
}

func (c *Client) decide(ctx context.Context, path string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	var out decided
	if err := c.post(ctx, path, idempotency(d.Key), d, &out); err != nil {
		return dsrflow.Decided{}, err
	}
	if out.Accepted != nil {
		return dsrflow.Decided{Vote: &dsrflow.VoteAccepted{ID: out.ID, Accepted: *out.Accepted, State: out.State}}, nil
	}
	return dsrflow.Decided{Request: &out.RequestState}, nil
}

// Decide implements dsrflow.RequestService.
func (c *Client) Decide(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	return c.decide(ctx, requestPath(id, "decisions"), d)
}

// VoteDisclosure implements dsrflow.RequestService.
func (c *Client) VoteDisclosure(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
	return c.decide(ctx, "/api/v1/disclosures/"+url.PathEscape(id)+"/decisions", d)
}

// ExtendRequest implements dsrflow.RequestService.
func (c *Client) ExtendRequest(ctx context.Context, id, reason string) (dsrflow.RequestState, error) {
	var out dsrflow.RequestState
	return out, c.post(ctx, requestPath(id, "extend"), nil, map[string]string{"reason": reason}, &out)
}

// CancelRequest implements dsrflow.RequestService.
func (c *Client) CancelRequest(ctx context.Context, id, reason string) (dsrflow.RequestState, error) {
	var out dsrflow.RequestState
	return out, c.post(ctx, requestPath(id, "cancel"), nil, map[string]string{"reason": reason}, &out)
}

// ResolveJob implements dsrflow.RequestService.
func (c *Client) ResolveJob(ctx context.Context, id string, r dsrflow.JobResolution) (dsrflow.RequestState, error) {
	var out dsrflow.RequestState
	body := map[string]string{"action": r.Action, "reason": r.Reason}
	return out, c.post(ctx, requestPath(id, "jobs", url.PathEscape(r.JobID), "resolve"), nil, body, &out)
}

// GetRequest implements dsrflow.RequestService.
func (c *Client) GetRequest(ctx context.Context, id string) (dsrflow.RequestView, error) {
	var out dsrflow.RequestView
	return out, c.get(ctx, requestPath(id), nil, &out)
}

// ListRequests implements dsrflow.RequestService.
func (c *Client) ListRequests(ctx context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "type": q.Type, "country": q.Country, "due_within": q.DueWithin, "email": q.Email, "assignee": q.Assignee} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Open {
		v.Set("open", "true")
	}
	if q.Overdue {
		v.Set("overdue", "true")
	}
	if q.Closed {
		v.Set("closed", "true")
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		// The API pages by number: the offset's page of limit rows (100 without a limit).
		size := q.Limit
		if size == 0 {
			size = 100
		}
		v.Set("page", strconv.Itoa(q.Offset/size+1))
	}
	var out []dsrflow.SummaryView
	return out, c.get(ctx, "/api/v1/requests", v, &out)
}

// RequestMessages implements dsrflow.RequestService.
func (c *Client) RequestMessages(ctx context.Context, id string) ([]dsrflow.MessageView, error) {
	var out []dsrflow.MessageView
	return out, c.get(ctx, requestPath(id, "messages"), nil, &out)
}

// RequestExport implements dsrflow.RequestService.
func (c *Client) RequestExport(ctx context.Context, id string) (dsrflow.Export, error) {
	raw, err := c.Call(ctx, http.MethodGet, requestPath(id, "export"), nil, nil, nil, nil)
	if err != nil {
		return dsrflow.Export{}, err
	}
	return dsrflow.Export{RequestID: id, Data: raw}, nil
}

// RequestTasks implements dsrflow.RequestService.
func (c *Client) RequestTasks(ctx context.Context, id string) ([]dsrflow.RequestTaskView, error) {
	var out []dsrflow.RequestTaskView
	return out, c.get(ctx, requestPath(id, "tasks"), nil, &out)
}

// OpenTasks implements dsrflow.RequestService.
func (c *Client) OpenTasks(ctx context.Context, q dsrflow.TaskQuery) ([]dsrflow.TaskListItem, error) {
	v := url.Values{}
	if q.View != "" {
		v.Set("view", q.View)
	}
	var out []dsrflow.TaskListItem
	return out, c.get(ctx, "/api/v1/tasks", v, &out)
}

// Task implements dsrflow.RequestService.
func (c *Client) Task(ctx context.Context, id string) (dsrflow.TaskView, error) {
	var out dsrflow.TaskView
	return out, c.get(ctx, "/api/v1/tasks/"+url.PathEscape(id), nil, &out)
}

// AnswerTask implements dsrflow.RequestService.
func (c *Client) AnswerTask(ctx context.Context, id string, a dsrflow.TaskAnswer) (dsrflow.TaskAnswered, error) {
	var out dsrflow.TaskAnswered
	return out, c.post(ctx, "/api/v1/tasks/"+url.PathEscape(id)+"/outcome", idempotency(a.Key), a, &out)
}

// CreateDisclosure implements dsrflow.RequestService.
func (c *Client) CreateDisclosure(ctx context.Context, in dsrflow.NewDisclosure) (dsrflow.CreatedDisclosure, error) {
	var out dsrflow.CreatedDisclosure
	return out, c.post(ctx, "/api/v1/disclosures", nil, in, &out)
}

// Reviews implements dsrflow.RequestService.
func (c *Client) Reviews(ctx context.Context) ([]dsrflow.ReviewView, error) {
	var out []dsrflow.ReviewView
	return out, c.get(ctx, "/api/v1/reviews", nil, &out)
}

// DisclosureRegister implements dsrflow.RequestService.
func (c *Client) DisclosureRegister(ctx context.Context, year int) ([]dsrflow.RegisterRow, error) {
	var out []dsrflow.RegisterRow
	return out, c.get(ctx, "/api/v1/disclosures", url.Values{"year": {strconv.Itoa(year)}}, &out)
}

// DisclosureOrder implements dsrflow.RequestService.
func (c *Client) DisclosureOrder(ctx context.Context, id string) (dsrflow.OrderCopy, error) {
	raw, err := c.Call(ctx, http.MethodGet, "/api/v1/disclosures/"+url.PathEscape(id)+"/order", nil, nil, nil, nil)
	if err != nil {
		return dsrflow.OrderCopy{}, err
	}
	// The hash of what arrived: a caller compares it with the register's order_sha256.
	sum := sha256.Sum256(raw)
	return dsrflow.OrderCopy{RequestID: id, Document: raw, SHA256: hex.EncodeToString(sum[:])}, nil
}

// TransparencyReport implements dsrflow.RequestService: it asks for the whole report (with=routed).
func (c *Client) TransparencyReport(ctx context.Context, year int) (dsrflow.TransparencyReport, error) {
	var out dsrflow.TransparencyReport
	return out, c.get(ctx, "/api/v1/reports/transparency", url.Values{"year": {strconv.Itoa(year)}, "with": {"routed"}}, &out)
}

// RequestStats implements dsrflow.RequestService.
func (c *Client) RequestStats(ctx context.Context, q dsrflow.StatsQuery) (dsrflow.RequestStats, error) {
	var out dsrflow.RequestStats
	query := url.Values{"year": {strconv.Itoa(q.Year)}}
	if q.Period != "" {
		query.Set("period", q.Period)
	}
	return out, c.get(ctx, "/api/v1/reports/stats", query, &out)
}

// Dashboard implements dsrflow.RequestService.
func (c *Client) Dashboard(ctx context.Context) (dsrflow.Dashboard, error) {
	var out dsrflow.Dashboard
	return out, c.get(ctx, "/api/v1/dashboard", nil, &out)
}

// Outbox implements dsrflow.RequestService.
func (c *Client) Outbox(ctx context.Context, q dsrflow.OutboxQuery) ([]dsrflow.OutboxMessage, error) {
	query := url.Values{}
	if q.To != "" {
		query.Set("to", q.To)
	}
	if q.RequestID != "" {
		query.Set("request", q.RequestID)
	}
	var out []dsrflow.OutboxMessage
	return out, c.get(ctx, "/api/v1/outbox", query, &out)
}

// Suppression implements dsrflow.RequestService.
func (c *Client) Suppression(ctx context.Context, hash string) (dsrflow.SuppressionEntry, error) {
	var out struct {
		Suppressed bool   `json:"suppressed"`
		Reason     string `json:"reason"`
	}
	_, err := c.Call(ctx, http.MethodGet, "/api/v1/suppressions/"+url.PathEscape(hash), nil, nil, nil, &out)
	if err != nil {
		return dsrflow.SuppressionEntry{}, err
	}
	return dsrflow.SuppressionEntry{Reason: out.Reason}, nil
}

// DownloadExport implements dsrflow.RequestService: the subject's download goes through the signed link
// in their answer, not through the API.
func (c *Client) DownloadExport(ctx context.Context, id string) (dsrflow.Export, error) {
	return dsrflow.Export{}, dsrflow.Errorf(dsrflow.EFORBIDDEN, "a subject's download goes through the link in their answer")
}

// RecordGPC implements dsrflow.RequestService: a Global Privacy Control signal is the subject's browser's,
// seen by the privacy center only.
func (c *Client) RecordGPC(ctx context.Context, id string) (dsrflow.GPCOptOut, error) {
	return dsrflow.GPCOptOut{}, dsrflow.Errorf(dsrflow.EFORBIDDEN, "a Global Privacy Control signal is recorded by the privacy center")
}
