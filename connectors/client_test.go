package connectors_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

const janeEmail = "jane.doe@example.com"

// connectorAt configures connector "crm" at the server's URL (+ prefix).
func connectorAt(t *testing.T, url string) (connectors.Endpoint, *connectors.Registry) {
	t.Helper()
	reg, err := connectors.NewRegistry(connectors.Connector{
		ID: "crm", Owner: "Example Marketing AS", Role: connectors.RoleSubsidiary,
		Settings: httpkind.Settings{URL: url, Secret: secret, Timeout: 5 * time.Second},
		Actions:  []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase}, Identities: []string{"email"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("crm")
	ep, _ := c.Endpoint()
	return ep, reg
}

func accessJob(request string) connectors.Job {
	return connectors.Job{
		ID: connectors.JobID(request, "crm", dsrflow.ActionAccess), RequestID: request, Action: dsrflow.ActionAccess,
		Identities: dsrflow.Identity{Email: janeEmail}, Deadline: time.Now().Add(time.Hour),
	}
}

func janeRecords(job connectors.Job) connectors.Result {
	return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Records: []connectors.Record{{
		Dataset: "contacts", Fields: map[string]string{"email": job.Identities.Email},
		Categories: map[string]string{"email": "user.contact.email"},
	}}}
}

// serveSDK serves an SDK server under /crm, as the demo and a real deployment behind a prefix would.
func serveSDK(t *testing.T, opts sdk.Options, h sdk.HandlerFunc) (*httptest.Server, connectors.Endpoint, *connectors.Registry) {
	t.Helper()
	opts.Secret = secret
	if opts.Backoff == 0 {
		opts.Backoff = 10 * time.Millisecond
	}
	s := sdk.New(opts, h)
	mux := http.NewServeMux()
	mux.Handle("/crm/", http.StripPrefix("/crm", s))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); s.Close() })
	conn, reg := connectorAt(t, srv.URL+"/crm")
	return srv, conn, reg
}

func TestSubmitSynchronous(t *testing.T) {
	var seen connectors.Job
	_, conn, _ := serveSDK(t, sdk.Options{}, func(_ context.Context, job connectors.Job) (connectors.Result, error) {
		seen = job
		return janeRecords(job), nil
	})
	job := accessJob("r1")
	var c connectors.Client
	res, err := c.Submit(context.Background(), conn, job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connectors.StatusCompleted || res.JobID != job.ID || len(res.Records) != 1 || res.Records[0].Fields["email"] != janeEmail {
		t.Fatalf("result = %+v", res)
	}
	if seen.Protocol != connectors.ProtocolVersion || seen.Connector != "crm" || seen.Identities.Email != janeEmail {
		t.Fatalf("connector saw %+v", seen)
	}
}

func TestSubmitAsyncCallbackAndPoll(t *testing.T) {
	release := make(chan struct{})
	_, conn, reg := serveSDK(t, sdk.Options{Async: true}, func(ctx context.Context, job connectors.Job) (connectors.Result, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return connectors.Result{}, ctx.Err()
		}
		return janeRecords(job), nil
	})

	// dsrflow's front door: POST /connectors/v1/callbacks/{connector}.
	callbacks := make(chan connectors.Result, 1)
	front := http.NewServeMux()
	front.HandleFunc("POST /connectors/v1/callbacks/{connector}", func(w http.ResponseWriter, r *http.Request) {
		res, err := connectors.ReadCallback(r, reg, r.PathValue("connector"), time.Now())
		if err != nil {
			http.Error(w, dsrflow.ErrorMessage(err), http.StatusUnauthorized)
			return
		}
		callbacks <- res
	})
	frontSrv := httptest.NewServer(front)
	defer frontSrv.Close()

	job := accessJob("r2")
	job.CallbackURL = frontSrv.URL + "/connectors/v1/callbacks/crm"
	var c connectors.Client
	res, err := c.Submit(context.Background(), conn, job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connectors.StatusAccepted || res.JobID != job.ID {
		t.Fatalf("submit = %+v, want accepted", res)
	}
	polled, err := c.Poll(context.Background(), conn, job.ID)
	if err != nil || polled.Status != connectors.StatusPending {
		t.Fatalf("poll while running = %+v, %v; want pending", polled, err)
	}
	again, err := c.Submit(context.Background(), conn, job)
	if err != nil || again.Status != connectors.StatusAccepted {
		t.Fatalf("second submit while running = %+v, %v", again, err)
	}

	close(release)
	select {
	case got := <-callbacks:
		if got.JobID != job.ID || got.Status != connectors.StatusCompleted || len(got.Records) != 1 {
			t.Fatalf("callback = %+v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no callback")
	}
	polled, err = c.Poll(context.Background(), conn, job.ID)
	if err != nil || polled.Status != connectors.StatusCompleted || len(polled.Records) != 1 {
		t.Fatalf("poll after callback = %+v, %v", polled, err)
	}
	// Submitting the finished job again answers its result at once.
	again, err = c.Submit(context.Background(), conn, job)
	if err != nil || again.Status != connectors.StatusCompleted {
		t.Fatalf("submit after done = %+v, %v", again, err)
	}
	select {
	case extra := <-callbacks:
		t.Fatalf("second callback %+v: the job ran twice", extra)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestPollUnknownJob(t *testing.T) {
	_, conn, _ := serveSDK(t, sdk.Options{Async: true}, func(_ context.Context, job connectors.Job) (connectors.Result, error) {
		return janeRecords(job), nil
	})
	var c connectors.Client
	_, err := c.Poll(context.Background(), conn, "r9:crm:access")
	var ce *connectors.CallError
	if !errors.As(err, &ce) || ce.StatusCode != http.StatusNotFound || !ce.Permanent {
		t.Fatalf("err = %#v, want permanent 404", err)
	}
}

// answer serves a fixed status, header and body to every request, counting them.
func answer(t *testing.T, status int, header map[string]string, body string) (connectors.Endpoint, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	conn, _ := connectorAt(t, srv.URL)
	return conn, &calls
}

func TestCallErrors(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		permanent  bool
		retryAfter time.Duration
	}{
		{"503 with Retry-After seconds", 503, map[string]string{"Retry-After": "7"}, false, 7 * time.Second},
		{"503 with Retry-After date", 503, map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, false, 90 * time.Second},
		{"500 without Retry-After", 500, nil, false, 0},
		{"429", 429, map[string]string{"Retry-After": "2"}, false, 2 * time.Second},
		{"400 permanent", 400, nil, true, 0},
		{"401 permanent", 401, nil, true, 0},
		{"422 permanent", 422, nil, true, 0},
		{"404 on submit permanent", 404, nil, true, 0},
		{"redirect permanent", 302, map[string]string{"Location": "/elsewhere"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The body quotes personal data, as a careless connector might: it must not reach the error.
			conn, _ := answer(t, tt.status, tt.header, `{"error":"no such customer `+janeEmail+`"}`)
			c := connectors.Client{Now: func() time.Time { return now }}
			_, err := c.Submit(context.Background(), conn, accessJob("r3"))
			var ce *connectors.CallError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CallError", err)
			}
			if ce.StatusCode != tt.status || ce.Permanent != tt.permanent || ce.RetryAfter != tt.retryAfter || ce.Connector != "crm" {
				t.Fatalf("CallError = %+v", ce)
			}
			msg := err.Error()
			if strings.Contains(msg, "jane") || !strings.Contains(msg, "crm") || !strings.Contains(msg, "r3:crm:access") {
				t.Fatalf("message %q: want connector and job id, no personal data", msg)
			}
		})
	}
}

func TestSDKAnswersClassified(t *testing.T) {
	handlerErr := errors.New("database down")
	_, conn, _ := serveSDK(t, sdk.Options{}, func(_ context.Context, job connectors.Job) (connectors.Result, error) {
		if job.RequestID == "permanent" {
			return connectors.Result{}, sdk.Permanent(errors.New("unsupported"))
		}
		return connectors.Result{}, handlerErr
	})
	var c connectors.Client
	_, err := c.Submit(context.Background(), conn, accessJob("retryable"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || ce.StatusCode != 500 || ce.Permanent {
		t.Fatalf("handler error: %#v, want retryable 500", err)
	}
	_, err = c.Submit(context.Background(), conn, accessJob("permanent"))
	if !errors.As(err, &ce) || ce.StatusCode != 422 || !ce.Permanent {
		t.Fatalf("Permanent: %#v, want permanent 422", err)
	}
	conn.Secret = []byte("a different secret of 32 bytes or more")
	_, err = c.Submit(context.Background(), conn, accessJob("r4"))
	if !errors.As(err, &ce) || ce.StatusCode != 401 || !ce.Permanent {
		t.Fatalf("wrong secret: %#v, want permanent 401", err)
	}
}

func TestSubmitUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	conn, _ := connectorAt(t, srv.URL)
	srv.Close()
	var c connectors.Client
	_, err := c.Submit(context.Background(), conn, accessJob("r5"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || ce.Permanent || ce.StatusCode != 0 {
		t.Fatalf("err = %#v, want retryable without status", err)
	}
}

func TestSubmitTimeout(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-stop
	}))
	defer srv.Close()
	defer close(stop)
	conn, _ := connectorAt(t, srv.URL)
	conn.Timeout = 50 * time.Millisecond
	var c connectors.Client
	_, err := c.Submit(context.Background(), conn, accessJob("r6"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || ce.Permanent || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %#v, want retryable deadline", err)
	}
}

func TestSubmitRejectsInvalidAnswer(t *testing.T) {
	conn, _ := answer(t, 200, nil, `{"job_id":"r7:crm:access","status":"pending"}`)
	var c connectors.Client
	_, err := c.Submit(context.Background(), conn, accessJob("r7"))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent {
		t.Fatalf("non-final 200: %#v, want permanent", err)
	}
	conn, _ = answer(t, 200, nil, `{"job_id":"other:crm:access","status":"completed"}`)
	if _, err := c.Submit(context.Background(), conn, accessJob("r7")); !errors.As(err, &ce) || !ce.Permanent {
		t.Fatalf("other job's result: %#v, want permanent", err)
	}
}

func TestReadCallbackRejects(t *testing.T) {
	_, reg := connectorAt(t, "http://127.0.0.1:1/crm")
	now := time.Now()
	post := func(connector, body string, key []byte, at time.Time) error {
		req := httptest.NewRequest(http.MethodPost, "/connectors/v1/callbacks/"+connector, strings.NewReader(body))
		if key != nil {
			connectors.SignRequest(req, key, []byte(body), at)
		}
		_, err := connectors.ReadCallback(req, reg, connector, now)
		return err
	}
	good := `{"job_id":"r1:crm:erase","status":"completed","counts":{"erased":2}}`
	if err := post("crm", good, secret, now); err != nil {
		t.Fatalf("good callback: %v", err)
	}
	tests := []struct {
		name, connector, body string
		key                   []byte
		at                    time.Time
		code                  string
	}{
		{"unsigned", "crm", good, nil, now, dsrflow.EUNAUTHORIZED},
		{"wrong secret", "crm", good, []byte("a different secret of 32 bytes or more"), now, dsrflow.EUNAUTHORIZED},
		{"stale", "crm", good, secret, now.Add(-6 * time.Minute), dsrflow.EUNAUTHORIZED},
		{"unknown connector", "forum", good, secret, now, dsrflow.ENOTFOUND},
		{"another connector's job", "crm", `{"job_id":"r1:billing:erase","status":"completed"}`, secret, now, dsrflow.EFORBIDDEN},
		{"not final", "crm", `{"job_id":"r1:crm:erase","status":"accepted"}`, secret, now, dsrflow.EINVALID},
		{"not json", "crm", `completed`, secret, now, dsrflow.EINVALID},
		{"too large", "crm", `{"job_id":"r1:crm:erase","status":"completed","detail":"` + strings.Repeat("x", connectors.MaxResultBytes) + `"}`, secret, now, dsrflow.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := post(tt.connector, tt.body, tt.key, tt.at); dsrflow.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v (code %q), want code %q", err, dsrflow.ErrorCode(err), tt.code)
			}
		})
	}
}
