package apiclient_test

import (
	"context"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/apiclient"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/web"
)

type token web.Principal

func (t token) Authenticate(_ context.Context, tok string) (web.Principal, error) {
	if tok != "secret" {
		return web.Principal{}, dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "unknown token")
	}
	return web.Principal(t), nil
}

// The client is the service on the other side of the API: each operation called through it reaches the
// service behind the front door's handlers with the same arguments, as the token's principal, and comes
// back with the same answer; the service's errors come back with their code, message and fields.
func TestClientRoundTripsThroughTheHandlers(t *testing.T) {
	svc := &fake.RequestService{}
	admin := web.Principal{ID: "token:ops", Role: web.RoleAdmin}
	srv := httptest.NewServer(web.NewServer(web.Deps{Service: svc, Auth: token(admin)}))
	defer srv.Close()
	c := &apiclient.Client{URL: srv.URL, Token: "secret"}
	ctx := context.Background()
	received := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

	var args []any
	seen := func(ctx context.Context, a ...any) {
		if p, _ := dsrflow.PrincipalFrom(ctx); p != admin {
			t.Errorf("the service was called as %+v", p)
		}
		args = append(args, a...)
	}
	state := dsrflow.RequestState{ID: "dsr_1", Status: "fulfilling", Due: "2026-12-02", Extended: true, Verified: true}
	svc.CreateRequestFn = func(ctx context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		seen(ctx, in)
		return dsrflow.CreatedRequest{ID: "dsr_1", Status: "received", Type: in.Type, Due: "2026-12-02", ExtendedDue: "2027-02-02", Verification: "email_code"}, nil
	}
	svc.VerifyRequestFn = func(ctx context.Context, id, code string) (dsrflow.RequestState, error) {
		seen(ctx, id, code)
		return state, nil
	}
	svc.ResendCodeFn = func(ctx context.Context, id string) (dsrflow.RequestState, error) { seen(ctx, id); return state, nil }
	svc.ExtendRequestFn = func(ctx context.Context, id, r string) (dsrflow.RequestState, error) {
		seen(ctx, id, r)
		return state, nil
	}
	svc.CancelRequestFn = func(ctx context.Context, id, r string) (dsrflow.RequestState, error) {
		seen(ctx, id, r)
		return state, nil
	}
	svc.ResolveJobFn = func(ctx context.Context, id string, r dsrflow.JobResolution) (dsrflow.RequestState, error) {
		seen(ctx, id, r)
		return state, nil
	}
	svc.DecideFn = func(ctx context.Context, id string, d dsrflow.ReviewDecision) (dsrflow.Decided, error) {
		seen(ctx, id, d)
		if id == "dsr_d" {
			return dsrflow.Decided{Vote: &dsrflow.VoteAccepted{ID: id, Accepted: true, State: "1 of 2"}}, nil
		}
		return dsrflow.Decided{Request: &state}, nil
	}
	view := dsrflow.RequestView{ID: "dsr_1", Type: "erasure", Status: "completed", Received: received, Due: "2026-12-02",
		Jobs:      []dsrflow.JobView{{Connector: "crm", Action: "erase", Status: "done", Exemptions: []dsrflow.Exemption{{Basis: "legal_obligation", Detail: "Bookkeeping Act", Categories: []string{"invoices"}}}}},
		Decisions: []dsrflow.DecisionView{}, Events: []dsrflow.EventView{{Time: received, Action: "received", Actor: "token:ops"}}}
	svc.GetRequestFn = func(ctx context.Context, id string) (dsrflow.RequestView, error) { seen(ctx, id); return view, nil }
	svc.ListRequestsFn = func(ctx context.Context, q dsrflow.RequestQuery) ([]dsrflow.SummaryView, error) {
		seen(ctx, q)
		return []dsrflow.SummaryView{{ID: "dsr_1", Received: received, DaysLeft: -2}}, nil
	}
	svc.RequestExportFn = func(ctx context.Context, id string) (dsrflow.Export, error) {
		seen(ctx, id)
		return dsrflow.Export{RequestID: id, Data: []byte("PK\x03\x04zip")}, nil
	}
	svc.AnswerTaskFn = func(ctx context.Context, id string, a dsrflow.TaskAnswer) (dsrflow.TaskAnswered, error) {
		seen(ctx, id, a)
		return dsrflow.TaskAnswered{ID: id, Status: a.Outcome, State: "answered"}, nil
	}
	svc.DisclosureRegisterFn = func(ctx context.Context, year int) ([]dsrflow.RegisterRow, error) {
		seen(ctx, year)
		return []dsrflow.RegisterRow{{ID: "dsr_d", Subjects: 3, Received: received}}, nil
	}

	check := func(name string, got, want any, wantArgs ...any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s answered %+v, want %+v", name, got, want)
		}
		if !reflect.DeepEqual(args, wantArgs) {
			t.Errorf("%s reached the service with %+v, want %+v", name, args, wantArgs)
		}
		args = nil
	}
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	in := dsrflow.NewRequest{Type: "rectification", Email: "jane@example.com", Corrections: map[string]string{"user.name": "Jane Roe"}}
	check("create", must(c.CreateRequest(ctx, in)), dsrflow.CreatedRequest{ID: "dsr_1", Status: "received", Type: "rectification", Due: "2026-12-02", ExtendedDue: "2027-02-02", Verification: "email_code"}, in)
	check("verify", must(c.VerifyRequest(ctx, "dsr_1", "123456")), state, "dsr_1", "123456")
	check("resend", must(c.ResendCode(ctx, "dsr_1")), state, "dsr_1")
	check("extend", must(c.ExtendRequest(ctx, "dsr_1", "many systems")), state, "dsr_1", "many systems")
	check("cancel", must(c.CancelRequest(ctx, "dsr_1", "withdrawn")), state, "dsr_1", "withdrawn")
	check("resolve", must(c.ResolveJob(ctx, "dsr_1", dsrflow.JobResolution{JobID: "dsr_1:crm:erase", Action: "retry"})), state,
		"dsr_1", dsrflow.JobResolution{JobID: "dsr_1:crm:erase", Action: "retry"})
	d := dsrflow.ReviewDecision{Decision: "approve", Reason: "ok", Key: "k1"}
	check("decide", must(c.Decide(ctx, "dsr_1", d)), dsrflow.Decided{Request: &state}, "dsr_1", d)
	check("vote", must(c.Decide(ctx, "dsr_d", d)), dsrflow.Decided{Vote: &dsrflow.VoteAccepted{ID: "dsr_d", Accepted: true, State: "1 of 2"}}, "dsr_d", d)
	check("get", must(c.GetRequest(ctx, "dsr_1")), view, "dsr_1")
	q := dsrflow.RequestQuery{Status: "completed", Overdue: true, DueWithin: "7d", Limit: 10, Email: "jane@example.com"}
	check("list", must(c.ListRequests(ctx, q)), []dsrflow.SummaryView{{ID: "dsr_1", Received: received, DaysLeft: -2}}, q)
	check("export", must(c.RequestExport(ctx, "dsr_1")), dsrflow.Export{RequestID: "dsr_1", Data: []byte("PK\x03\x04zip")}, "dsr_1")
	a := dsrflow.TaskAnswer{Outcome: "cannot", Reason: "tapes lost", Key: "retry-1"}
	check("answer", must(c.AnswerTask(ctx, "dsr_1.crm", a)), dsrflow.TaskAnswered{ID: "dsr_1.crm", Status: "cannot", State: "answered"}, "dsr_1.crm", a)
	check("register", must(c.DisclosureRegister(ctx, 2025)), []dsrflow.RegisterRow{{ID: "dsr_d", Subjects: 3, Received: received}}, 2025)

	svc.GetRequestFn = func(context.Context, string) (dsrflow.RequestView, error) {
		return dsrflow.RequestView{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "bad", Fields: map[string]string{"id": "malformed"}}
	}
	_, err := c.GetRequest(ctx, "x")
	if e, ok := err.(*dsrflow.Error); !ok || e.Code != dsrflow.EINVALID || e.Message != "bad" || e.Fields["id"] != "malformed" {
		t.Errorf("error %#v, want the service's", err)
	}
	if _, err := (&apiclient.Client{URL: srv.URL, Token: "wrong"}).GetRequest(ctx, "dsr_1"); dsrflow.ErrorCode(err) != dsrflow.EUNAUTHORIZED {
		t.Errorf("a wrong token: %v", err)
	}
	if _, err := c.CreateRequest(ctx, dsrflow.NewRequest{Type: "access", Email: "jane@example.com", DeferStart: true}); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("a deferred start over the API: %v", err)
	}
}
