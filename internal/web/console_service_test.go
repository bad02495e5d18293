package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// The console and the privacy center call the request service as the signed-in person and as the
// privacy center; the service's refusals come back on the page with its message.

// csrf is the session's form token, as the console's pages embed it.
func (ss *sessionServer) csrf(t *testing.T, cookie string) string {
	t.Helper()
	req := httptest.NewRequest("GET", "http://localhost/console", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	sess, ok := ss.readSession(req)
	if !ok {
		t.Fatal("no session")
	}
	return ss.csrfToken(sess)
}

func TestConsoleActsAsTheSignedInPerson(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	cookie := ss.signIn(t, ss.createToken(t, "rita", RoleReviewer))

	var callers []Principal
	record := func(ctx context.Context) {
		p, _ := dsrflow.PrincipalFrom(ctx)
		callers = append(callers, p)
	}
	svc.VerifyRequestFn = func(ctx context.Context, id, code string) (dsrflow.RequestState, error) {
		record(ctx)
		return dsrflow.RequestState{}, dsrflow.Errorf(dsrflow.EFORBIDDEN, "role reviewer may not do this")
	}
	svc.GetRequestFn = func(ctx context.Context, id string) (dsrflow.RequestView, error) {
		record(ctx)
		return dsrflow.RequestView{ID: id, Type: "access", Status: "verifying", Due: "2026-12-02"}, nil
	}
	svc.RequestMessagesFn = func(ctx context.Context, id string) ([]dsrflow.MessageView, error) { return nil, nil }
	svc.ListRoutedFn = func(context.Context, string) ([]dsrflow.RoutedItem, error) { return nil, nil }
	var decided dsrflow.ReviewDecision
	svc.DecideFn = func(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
		record(ctx)
		decided = d
		return dsrflow.Decided{Request: &dsrflow.RequestState{ID: id}}, nil
	}

	// A reviewer's attempt to verify is refused by the service; the page says so with its message.
	resp := ss.do("POST", "/console/requests/dsr_1/verify", cookie, url.Values{"csrf": {ss.csrf(t, cookie)}, "code": {" 123456 "}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "role reviewer may not do this") {
		t.Errorf("verify as a reviewer: %d, message shown: %v", resp.StatusCode, strings.Contains(string(body), "may not"))
	}
	// A decision reaches the service with the form's fields, trimmed.
	resp = ss.do("POST", "/console/requests/dsr_1/decide", cookie, url.Values{"csrf": {ss.csrf(t, cookie)}, "decision": {"reject"}, "reason": {" no grounds "}})
	if resp.StatusCode != http.StatusSeeOther || !reflect.DeepEqual(decided, dsrflow.ReviewDecision{Decision: "reject", Reason: "no grounds"}) {
		t.Errorf("decide: %d, service got %+v", resp.StatusCode, decided)
	}
	if len(callers) == 0 {
		t.Fatal("the service was not called")
	}
	for _, p := range callers {
		if p.ID != "token:rita" || p.Role != RoleReviewer {
			t.Errorf("the console called the service as %+v, want token:rita (reviewer)", p)
		}
	}
}

func TestPrivacyCenterRecordsThenStarts(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	var got dsrflow.NewRequest
	var as Principal
	svc.CreateRequestFn = func(ctx context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		got = in
		as, _ = dsrflow.PrincipalFrom(ctx)
		return dsrflow.CreatedRequest{ID: "dsr_new"}, nil
	}
	started := make(chan string, 1)
	svc.StartRequestFn = func(_ context.Context, id string) { started <- id }

	resp := ss.do("POST", "/privacy/request", "", url.Values{"type": {"access"}, "email": {" jane@example.com "}, "name": {"Jane"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	if as != privacyCenter || !got.DeferStart || got.Email != "jane@example.com" || got.Type != "access" || got.Channel != "web" {
		t.Errorf("created as %+v with %+v; want the privacy center, deferred", as, got)
	}
	select {
	case id := <-started:
		if id != "dsr_new" {
			t.Errorf("started %s", id)
		}
	case <-time.After(5 * time.Second):
		t.Error("the request was not started after the answer")
	}

	// Invalid input: the service's field messages are shown on the form, and nothing is started.
	svc.CreateRequestFn = func(context.Context, dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		return dsrflow.CreatedRequest{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid request", Fields: map[string]string{"email": "not a valid email address"}}
	}
	resp = ss.do("POST", "/privacy/request", "", url.Values{"type": {"access"}, "email": {"nobody"}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Enter a valid email address, such as name@example.com.") {
		t.Errorf("invalid submit: %d", resp.StatusCode)
	}
	select {
	case id := <-started:
		t.Errorf("an invalid request started %s", id)
	case <-time.After(100 * time.Millisecond):
	}
}
