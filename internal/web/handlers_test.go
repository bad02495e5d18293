package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/web"
)

// Handler tests against a fake request service: what each route decodes and passes on, as whom, what it
// answers and how the service's errors become statuses. No Temporal, no store.

// tokens authenticates the tests' bearer tokens.
type tokens map[string]web.Principal

func (t tokens) Authenticate(_ context.Context, token string) (web.Principal, error) {
	if p, ok := t[token]; ok {
		return p, nil
	}
	return web.Principal{}, dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "unknown token")
}

var (
	agent    = web.Principal{ID: "token:alice", Role: web.RoleAgent}
	reviewer = web.Principal{ID: "token:bob", Role: web.RoleReviewer}
	dpo      = web.Principal{ID: "token:dora", Role: web.RoleDPO}
)

type apiFixture struct {
	t   *testing.T
	svc *fake.RequestService
	h   http.Handler
}

func newAPI(t *testing.T) *apiFixture {
	svc := &fake.RequestService{}
	return &apiFixture{t: t, svc: svc, h: web.NewServer(web.Deps{Service: svc,
		Auth: tokens{"agent": agent, "reviewer": reviewer, "dpo": dpo}})}
}

// call serves one API request with the token (none when empty) and returns the status and the body.
func (f *apiFixture) call(token, method, path, body string, header ...string) (int, map[string]any, string) {
	f.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	raw, _ := io.ReadAll(w.Body)
	var obj map[string]any
	_ = json.Unmarshal(raw, &obj)
	return w.Code, obj, string(raw)
}

// caller is the principal the service was called as.
func caller(t *testing.T, ctx context.Context) web.Principal {
	t.Helper()
	p, ok := dsrflow.PrincipalFrom(ctx)
	if !ok {
		t.Fatal("the service was called without a principal")
	}
	return p
}

func TestCreateRequestRoute(t *testing.T) {
	f := newAPI(t)
	var got dsrflow.NewRequest
	f.svc.CreateRequestFn = func(ctx context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		if p := caller(t, ctx); p != agent {
			t.Errorf("called as %+v, want the token's principal", p)
		}
		got = in
		return dsrflow.CreatedRequest{ID: "dsr_1", Status: "received", Type: in.Type, Due: "2026-12-02", ExtendedDue: "2027-02-02", Verification: "email_code"}, nil
	}
	status, body, raw := f.call("agent", "POST", "/api/v1/requests", `{"type":"rectification","email":"jane@example.com","corrections":{"user.name":"Jane Roe"},"purposes":["x"]}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, raw)
	}
	want := map[string]any{"id": "dsr_1", "status": "received", "type": "rectification", "due": "2026-12-02", "extended_due": "2027-02-02", "verification": "email_code"}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("answer %v, want %v", body, want)
	}
	if got.Type != "rectification" || got.Email != "jane@example.com" || got.Corrections["user.name"] != "Jane Roe" || len(got.Purposes) != 1 || got.DeferStart {
		t.Errorf("service got %+v", got)
	}
}

// The attack: a token client sends the privacy center's "start later" switch, hoping to leave a request
// recorded but never started. The body cannot carry it: it is refused as an unknown field and nothing
// is created.
func TestCreateRequestBodyCannotDeferTheStart(t *testing.T) {
	f := newAPI(t)
	f.svc.CreateRequestFn = func(context.Context, dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		t.Error("the service was called")
		return dsrflow.CreatedRequest{}, nil
	}
	for _, body := range []string{`{"type":"access","email":"jane@example.com","DeferStart":true}`, `{"type":"access","email":"jane@example.com","defer_start":true}`} {
		if status, out, raw := f.call("agent", "POST", "/api/v1/requests", body); status != http.StatusBadRequest || out["code"] != dsrflow.EINVALID {
			t.Errorf("%s: %d %s, want 400 invalid", body, status, raw)
		}
	}
}

// Each route admits its roles; the service is not called for anyone else.
func TestRoutesRefuseOtherRoles(t *testing.T) {
	f := newAPI(t)
	called := false
	f.svc.CreateRequestFn = func(context.Context, dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		called = true
		return dsrflow.CreatedRequest{}, nil
	}
	f.svc.DecideFn = func(context.Context, string, dsrflow.ReviewDecision) (dsrflow.Decided, error) {
		called = true
		return dsrflow.Decided{}, nil
	}
	f.svc.DisclosureRegisterFn = func(context.Context, int) ([]dsrflow.RegisterRow, error) {
		called = true
		return nil, nil
	}
	f.svc.VerifyRequestFn = func(context.Context, string, string) (dsrflow.RequestState, error) {
		called = true
		return dsrflow.RequestState{}, nil
	}
	for _, tc := range []struct {
		token, method, path, body string
		want                      int
	}{
		{"reviewer", "POST", "/api/v1/requests", `{"type":"access","email":"jane@example.com"}`, http.StatusForbidden},
		{"reviewer", "POST", "/api/v1/requests/dsr_1/verify", `{"code":"123456"}`, http.StatusForbidden},
		{"agent", "POST", "/api/v1/requests/dsr_1/decisions", `{"decision":"approve"}`, http.StatusForbidden},
		{"agent", "GET", "/api/v1/disclosures", ``, http.StatusForbidden},
		{"reviewer", "GET", "/api/v1/disclosures", ``, http.StatusForbidden},
		{"", "POST", "/api/v1/requests", `{"type":"access","email":"jane@example.com"}`, http.StatusUnauthorized},
		{"stolen", "GET", "/api/v1/disclosures", ``, http.StatusUnauthorized},
	} {
		called = false
		status, body, raw := f.call(tc.token, tc.method, tc.path, tc.body)
		if status != tc.want || called {
			t.Errorf("%s %s as %q: %d %s (service called: %v), want %d", tc.method, tc.path, tc.token, status, raw, called, tc.want)
		}
		if tc.want == http.StatusForbidden && !strings.Contains(body["error"].(string), "may not") {
			t.Errorf("%s %s as %q: message %q", tc.method, tc.path, tc.token, body["error"])
		}
	}
}

// The service's error codes become HTTP statuses, once, with the message and the fields; an error that
// is not a dsrflow error is a 500 whose text is not shown.
func TestServiceErrorsBecomeStatuses(t *testing.T) {
	f := newAPI(t)
	var next error
	f.svc.GetRequestFn = func(context.Context, string) (dsrflow.RequestView, error) { return dsrflow.RequestView{}, next }
	for _, tc := range []struct {
		err  error
		want int
		msg  string
	}{
		{&dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid request: email not valid", Fields: map[string]string{"email": "not valid"}}, 400, "invalid request: email not valid"},
		{dsrflow.Errorf(dsrflow.ENOTFOUND, "request not found"), 404, "request not found"},
		{dsrflow.Errorf(dsrflow.ECONFLICT, "request is completed: it can no longer change"), 409, "request is completed: it can no longer change"},
		{dsrflow.Errorf(dsrflow.EFORBIDDEN, "role reviewer may not do this"), 403, "role reviewer may not do this"},
		{dsrflow.Errorf(dsrflow.EGONE, "shredded"), 410, "shredded"},
		{dsrflow.Errorf(dsrflow.EUNAVAILABLE, "temporal is unavailable"), 503, "temporal is unavailable"},
		{errors.New("pq: connection to 10.0.0.7 refused for jane@example.com"), 500, "internal error"},
	} {
		next = tc.err
		status, body, raw := f.call("agent", "GET", "/api/v1/requests/dsr_1", "")
		if status != tc.want || body["error"] != tc.msg {
			t.Errorf("%v: %d %s, want %d %q", tc.err, status, raw, tc.want, tc.msg)
		}
		if tc.want == 400 {
			if fields, _ := body["fields"].(map[string]any); fields["email"] != "not valid" {
				t.Errorf("invalid: fields %v", body["fields"])
			}
		}
	}
}

func TestListRoutePassesTheFilter(t *testing.T) {
	f := newAPI(t)
	var got dsrflow.RequestQuery
	f.svc.ListRequestsFn = func(ctx context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
		got = q
		return []dsrflow.SummaryView{{ID: "dsr_1", Type: "access", Status: "verifying", Country: "NO", Due: "2026-12-02", DaysLeft: 3}}, nil
	}
	status, _, raw := f.call("reviewer", "GET", "/api/v1/requests?status=verifying&type=access&country=no&open=true&overdue=true&due_within=7d&limit=5", "")
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, raw)
	}
	want := dsrflow.RequestQuery{Status: "verifying", Type: "access", Country: "no", Open: true, Overdue: true, DueWithin: "7d", Limit: 5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("query %+v, want %+v", got, want)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(raw), &rows); err != nil || len(rows) != 1 || rows[0]["id"] != "dsr_1" || rows[0]["days_left"] != 3.0 {
		t.Errorf("rows %s", raw)
	}
	got = dsrflow.RequestQuery{}
	for _, limit := range []string{"0", "x", "-3"} {
		if status, _, raw := f.call("agent", "GET", "/api/v1/requests?limit="+limit, ""); status != http.StatusBadRequest || !strings.Contains(raw, "limit must be 1 to 1000") {
			t.Errorf("limit=%s: %d %s", limit, status, raw)
		}
	}
}

func TestChangeRoutesAnswerTheState(t *testing.T) {
	f := newAPI(t)
	var calls []string
	state := func(op, id, arg string) (dsrflow.RequestState, error) {
		calls = append(calls, op+" "+id+" "+arg)
		return dsrflow.RequestState{ID: id, Status: "fulfilling", Due: "2026-12-02", Extended: op == "extend", Verified: true}, nil
	}
	f.svc.VerifyRequestFn = func(_ context.Context, id, code string) (dsrflow.RequestState, error) {
		return state("verify", id, code)
	}
	f.svc.ResendCodeFn = func(_ context.Context, id string) (dsrflow.RequestState, error) { return state("resend", id, "") }
	f.svc.ExtendRequestFn = func(_ context.Context, id, reason string) (dsrflow.RequestState, error) {
		return state("extend", id, reason)
	}
	f.svc.CancelRequestFn = func(_ context.Context, id, reason string) (dsrflow.RequestState, error) {
		return state("cancel", id, reason)
	}
	f.svc.ResolveJobFn = func(_ context.Context, id string, r dsrflow.JobResolution) (dsrflow.RequestState, error) {
		return state("resolve", id, r.JobID+"/"+r.Action+"/"+r.Reason)
	}
	for _, tc := range []struct{ path, body string }{
		{"/api/v1/requests/dsr_1/verify", `{"code":"123456"}`},
		{"/api/v1/requests/dsr_1/resend", ``},
		{"/api/v1/requests/dsr_1/extend", `{"reason":"many systems"}`},
		{"/api/v1/requests/dsr_1/cancel", `{"reason":"withdrawn"}`},
		{"/api/v1/requests/dsr_1/jobs/crm:erase/resolve", `{"action":"failed","reason":"system retired"}`},
	} {
		status, body, raw := f.call("agent", "POST", tc.path, tc.body)
		if status != http.StatusOK || body["id"] != "dsr_1" || body["status"] != "fulfilling" || body["due"] != "2026-12-02" || body["verified"] != true {
			t.Errorf("POST %s: %d %s", tc.path, status, raw)
		}
	}
	want := []string{"verify dsr_1 123456", "resend dsr_1 ", "extend dsr_1 many systems", "cancel dsr_1 withdrawn", "resolve dsr_1 dsr_1:crm:erase/failed/system retired"}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
	// A resend takes no input: a body with fields is refused before the service.
	calls = nil
	if status, _, raw := f.call("agent", "POST", "/api/v1/requests/dsr_1/resend", `{"email":"other@example.com"}`); status != http.StatusBadRequest || len(calls) != 0 {
		t.Errorf("resend with a body: %d %s, calls %q", status, raw, calls)
	}
}

// One decisions route serves objections and disclosures, each with its own answer; the caller's
// Idempotency-Key reaches the service, which binds it to the caller.
func TestDecisionRoutes(t *testing.T) {
	f := newAPI(t)
	var got []dsrflow.ReviewDecision
	f.svc.DecideFn = func(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
		if p := caller(t, ctx); p != reviewer {
			t.Errorf("decided as %+v", p)
		}
		got = append(got, d)
		if id == "dsr_disclosure" {
			return dsrflow.Decided{Vote: &dsrflow.VoteAccepted{ID: id, Accepted: true, State: "1 of 2 approvals"}}, nil
		}
		return dsrflow.Decided{Request: &dsrflow.RequestState{ID: id, Status: "fulfilling", Due: "2026-12-02"}}, nil
	}
	f.svc.VoteDisclosureFn = func(_ context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
		got = append(got, d)
		return dsrflow.Decided{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "disclosure %s not found", id)
	}
	status, body, raw := f.call("reviewer", "POST", "/api/v1/requests/dsr_obj/decisions", `{"decision":"approve","reason":"compelling"}`, "Idempotency-Key", "k1")
	if status != http.StatusOK || body["status"] != "fulfilling" || body["accepted"] != nil {
		t.Errorf("objection: %d %s", status, raw)
	}
	status, body, raw = f.call("reviewer", "POST", "/api/v1/requests/dsr_disclosure/decisions", `{"decision":"narrow","scope":["orders"]}`)
	if status != http.StatusOK || body["accepted"] != true || body["state"] != "1 of 2 approvals" {
		t.Errorf("disclosure: %d %s", status, raw)
	}
	if status, _, raw := f.call("reviewer", "POST", "/api/v1/disclosures/dsr_obj/decisions", `{"decision":"approve"}`); status != http.StatusNotFound {
		t.Errorf("vote on an objection: %d %s", status, raw)
	}
	want := []dsrflow.ReviewDecision{{Decision: "approve", Reason: "compelling", Key: "k1"}, {Decision: "narrow", Scope: []string{"orders"}}, {Decision: "approve"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decisions %+v, want %+v", got, want)
	}
}

func TestTaskRoutes(t *testing.T) {
	f := newAPI(t)
	var got dsrflow.TaskAnswer
	f.svc.AnswerTaskFn = func(_ context.Context, id string, a dsrflow.TaskAnswer) (dsrflow.TaskAnswered, error) {
		got = a
		return dsrflow.TaskAnswered{ID: id, Status: a.Outcome, State: "answered"}, nil
	}
	f.svc.TaskFn = func(_ context.Context, id string) (dsrflow.TaskView, error) {
		return dsrflow.TaskView{ID: id, RequestID: "dsr_1", Connector: "archive", Identity: dsrflow.Identity{Email: "jane@example.com"}, Status: "open"}, nil
	}
	status, body, raw := f.call("agent", "POST", "/api/v1/tasks/dsr_1.archive/outcome", `{"outcome":"cannot","reason":"tapes lost"}`, "Idempotency-Key", "retry-1")
	if status != http.StatusOK || body["id"] != "dsr_1.archive" || body["status"] != "cannot" || body["state"] != "answered" {
		t.Errorf("outcome: %d %s", status, raw)
	}
	if !reflect.DeepEqual(got, dsrflow.TaskAnswer{Outcome: "cannot", Reason: "tapes lost", Key: "retry-1"}) {
		t.Errorf("answer %+v", got)
	}
	status, body, raw = f.call("agent", "GET", "/api/v1/tasks/dsr_1.archive", "")
	if id, _ := body["identity"].(map[string]any); status != http.StatusOK || body["request_id"] != "dsr_1" || id["email"] != "jane@example.com" {
		t.Errorf("task: %d %s", status, raw)
	}
	if status, _, _ := f.call("reviewer", "GET", "/api/v1/tasks/dsr_1.archive", ""); status != http.StatusForbidden {
		t.Errorf("a reviewer read a task with the subject's identity: %d", status)
	}
}

func TestDisclosureRoutes(t *testing.T) {
	f := newAPI(t)
	var got dsrflow.NewDisclosure
	f.svc.CreateDisclosureFn = func(_ context.Context, in dsrflow.NewDisclosure) (dsrflow.CreatedDisclosure, error) {
		got = in
		return dsrflow.CreatedDisclosure{ID: "dsr_d", Type: "disclosure", Status: "rejected", Reply: "no court order"}, nil
	}
	f.svc.DisclosureRegisterFn = func(_ context.Context, year int) ([]dsrflow.RegisterRow, error) {
		return []dsrflow.RegisterRow{{ID: "dsr_d", Authority: "Police", Subjects: year}}, nil
	}
	status, body, raw := f.call("agent", "POST", "/api/v1/disclosures", `{"authority":"Police","country":"NO","case_ref":"C1","legal_basis":"x","emails":["a@example.com"],"categories":["orders"]}`)
	if status != http.StatusCreated || body["status"] != "rejected" || body["reply"] != "no court order" || body["type"] != "disclosure" {
		t.Errorf("create: %d %s", status, raw)
	}
	if got.Authority != "Police" || len(got.Emails) != 1 || got.Categories[0] != "orders" {
		t.Errorf("service got %+v", got)
	}
	_, _, raw = f.call("dpo", "GET", "/api/v1/disclosures?year=2025", "")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(raw), &rows); err != nil || len(rows) != 1 || rows[0]["subjects"] != 2025.0 {
		t.Errorf("register: %s", raw)
	}
	if status, _, raw := f.call("dpo", "GET", "/api/v1/disclosures?year=99", ""); status != http.StatusBadRequest || !strings.Contains(raw, "year") {
		t.Errorf("year=99: %d %s", status, raw)
	}
}

func TestReadRoutes(t *testing.T) {
	f := newAPI(t)
	f.svc.RequestMessagesFn = func(_ context.Context, id string) ([]dsrflow.MessageView, error) {
		return []dsrflow.MessageView{{Kind: "code", Subject: "Your code"}}, nil
	}
	f.svc.RequestTasksFn = func(_ context.Context, id string) ([]dsrflow.RequestTaskView, error) {
		return []dsrflow.RequestTaskView{}, nil
	}
	f.svc.ReviewsFn = func(context.Context) ([]dsrflow.ReviewView, error) {
		return []dsrflow.ReviewView{{ID: "dsr_d", Kind: "disclosure", Approvals: 1, Subjects: 2}}, nil
	}
	f.svc.RequestExportFn = func(_ context.Context, id string) (dsrflow.Export, error) {
		return dsrflow.Export{RequestID: id, Data: []byte("PK\x03\x04")}, nil
	}
	for _, tc := range []struct{ token, path, want string }{
		{"reviewer", "/api/v1/requests/dsr_1/messages", `[{"kind":"code","subject":"Your code","created":"0001-01-01T00:00:00Z"}]`},
		{"agent", "/api/v1/requests/dsr_1/tasks", `[]`},
		{"reviewer", "/api/v1/reviews", `[{"id":"dsr_d","kind":"disclosure","status":"","country":"","received":"0001-01-01T00:00:00Z","due":"","approvals":1,"subjects":2}]`},
	} {
		status, _, raw := f.call(tc.token, "GET", tc.path, "")
		if status != http.StatusOK || strings.TrimSpace(raw) != tc.want {
			t.Errorf("GET %s: %d %s, want %s", tc.path, status, raw, tc.want)
		}
	}
	req := httptest.NewRequest("GET", "/api/v1/requests/dsr_1/export", nil)
	req.Header.Set("Authorization", "Bearer agent")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.String() != "PK\x03\x04" || w.Header().Get("Content-Type") != "application/zip" ||
		w.Header().Get("Cache-Control") != "no-store" || !strings.Contains(w.Header().Get("Content-Disposition"), `"dsr_1.zip"`) {
		t.Errorf("export: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	if status, _, _ := f.call("reviewer", "GET", "/api/v1/requests/dsr_1/export", ""); status != http.StatusForbidden {
		t.Errorf("a reviewer downloaded an export: %d", status)
	}
}
