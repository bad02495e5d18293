package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func job(request string) connectors.Job {
	return connectors.Job{
		Protocol: connectors.ProtocolVersion, ID: connectors.JobID(request, "crm", dsrflow.ActionErase),
		RequestID: request, Connector: "crm", Action: dsrflow.ActionErase,
		Identities: dsrflow.Identity{Email: "jane.doe@example.com"}, Deadline: time.Now().Add(time.Hour),
	}
}

// post sends a signed job body to the server and returns the status and decoded body.
func post(t *testing.T, h http.Handler, body []byte) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/jobs", bytes.NewReader(body))
	connectors.SignRequest(req, secret, body, time.Now())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func postJob(t *testing.T, h http.Handler, j connectors.Job) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, h, body)
}

// eraser counts handler runs and erases "once".
type eraser struct {
	runs  atomic.Int32
	delay time.Duration
	err   error
}

func (e *eraser) HandleJob(ctx context.Context, j connectors.Job) (connectors.Result, error) {
	n := e.runs.Add(1)
	time.Sleep(e.delay)
	if e.err != nil {
		return connectors.Result{}, e.err
	}
	return connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"erased": 3, "run": int(n)}}, nil
}

func TestSameJobTwiceRunsOnce(t *testing.T) {
	h := &eraser{}
	s := New(Options{Secret: secret}, h)
	defer s.Close()
	code, first := postJob(t, s, job("r1"))
	if code != http.StatusOK || first["status"] != "completed" || first["job_id"] != "r1:crm:erase" {
		t.Fatalf("first: %d %v", code, first)
	}
	code, second := postJob(t, s, job("r1"))
	if code != http.StatusOK || h.runs.Load() != 1 {
		t.Fatalf("second: %d, handler ran %d times", code, h.runs.Load())
	}
	if a, b := mustJSON(t, first), mustJSON(t, second); a != b {
		t.Fatalf("answers differ:\n%s\n%s", a, b)
	}
	if code, _ := postJob(t, s, job("r2")); code != http.StatusOK || h.runs.Load() != 2 {
		t.Fatalf("another job: %d, runs %d", code, h.runs.Load())
	}
}

func TestConcurrentDuplicatesRunOnce(t *testing.T) {
	h := &eraser{delay: 50 * time.Millisecond}
	s := New(Options{Secret: secret}, h)
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	body, _ := json.Marshal(job("r1"))
	var wg sync.WaitGroup
	answers := make([]string, 20)
	for i := range answers {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/jobs", bytes.NewReader(body))
			connectors.SignRequest(req, secret, body, time.Now())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers[i] = resp.Status + " " + string(b)
		})
	}
	wg.Wait()
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times for 20 duplicates", n)
	}
	for _, a := range answers {
		if a != answers[0] || !strings.HasPrefix(a, "200") {
			t.Fatalf("answers differ: %q vs %q", a, answers[0])
		}
	}
}

func TestRejections(t *testing.T) {
	h := &eraser{}
	s := New(Options{Secret: secret}, h)
	defer s.Close()

	body, _ := json.Marshal(job("r1"))
	unsigned := httptest.NewRequest(http.MethodPost, "/v1/jobs", bytes.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, unsigned)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", rec.Code)
	}
	stale := httptest.NewRequest(http.MethodPost, "/v1/jobs", bytes.NewReader(body))
	connectors.SignRequest(stale, secret, body, time.Now().Add(-10*time.Minute))
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, stale)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("stale: %d", rec.Code)
	}

	malformed := []struct {
		name string
		body string
	}{
		{"not json", `erase everything`},
		{"no job id", `{"protocol":"dsrflow/1","request_id":"r1","action":"erase","identities":{"email":"a@example.com"}}`},
		{"no identities", `{"protocol":"dsrflow/1","job_id":"r1:crm:erase","request_id":"r1","action":"erase","identities":{}}`},
		{"other protocol", `{"protocol":"dsrflow/2","job_id":"r1:crm:erase","request_id":"r1","action":"erase","identities":{"email":"a@example.com"}}`},
		{"rectify without corrections", `{"protocol":"dsrflow/1","job_id":"r1:crm:rectify","request_id":"r1","action":"rectify","identities":{"email":"a@example.com"}}`},
	}
	for _, m := range malformed {
		code, out := post(t, s, []byte(m.body))
		if code != http.StatusBadRequest || out["error"] == "" {
			t.Errorf("%s: %d %v, want 400 with a message", m.name, code, out)
		}
		if strings.Contains(mustJSON(t, out), "a@example.com") {
			t.Errorf("%s: answer echoes the identity", m.name)
		}
	}
	if h.runs.Load() != 0 {
		t.Fatalf("handler ran for rejected jobs")
	}
}

func TestHandlerErrors(t *testing.T) {
	h := &eraser{err: errors.New("database of jane.doe@example.com unreachable")}
	s := New(Options{Secret: secret}, h)
	defer s.Close()
	code, out := postJob(t, s, job("r1"))
	if code != http.StatusInternalServerError || strings.Contains(mustJSON(t, out), "jane") {
		t.Fatalf("retryable: %d %v", code, out)
	}
	// Not stored: the retry runs the handler again.
	h.err = nil
	if code, _ := postJob(t, s, job("r1")); code != http.StatusOK || h.runs.Load() != 2 {
		t.Fatalf("retry: %d, runs %d", code, h.runs.Load())
	}

	p := &eraser{err: Permanent(errors.New("unsupported"))}
	s2 := New(Options{Secret: secret}, p)
	defer s2.Close()
	if code, _ := postJob(t, s2, job("r1")); code != http.StatusUnprocessableEntity {
		t.Fatalf("permanent: %d", code)
	}

	bad := New(Options{Secret: secret}, HandlerFunc(func(context.Context, connectors.Job) (connectors.Result, error) {
		return connectors.Result{Status: connectors.StatusPending}, nil
	}))
	defer bad.Close()
	if code, _ := postJob(t, bad, job("r1")); code != http.StatusInternalServerError {
		t.Fatalf("non-final handler result: %d", code)
	}
	panicky := New(Options{Secret: secret}, HandlerFunc(func(context.Context, connectors.Job) (connectors.Result, error) {
		panic("boom")
	}))
	defer panicky.Close()
	if code, _ := postJob(t, panicky, job("r1")); code != http.StatusInternalServerError {
		t.Fatalf("panicking handler: %d", code)
	}
}

func TestAsyncCallbackRetried(t *testing.T) {
	var attempts atomic.Int32
	got := make(chan connectors.Result, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, err := connectors.ReadSigned(r, secret, connectors.MaxResultBytes, time.Now())
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var res connectors.Result
		_ = json.Unmarshal(body, &res)
		got <- res
	}))
	defer receiver.Close()

	h := &eraser{}
	s := New(Options{Secret: secret, Async: true, Backoff: 5 * time.Millisecond}, h)
	defer s.Close()
	j := job("r1")
	j.CallbackURL = receiver.URL
	if code, out := postJob(t, s, j); code != http.StatusAccepted || out["status"] != "accepted" || out["job_id"] != j.ID {
		t.Fatalf("submit: %d %v", code, out)
	}
	select {
	case res := <-got:
		if res.JobID != j.ID || res.Status != connectors.StatusCompleted {
			t.Fatalf("callback = %+v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no callback")
	}
	if n := attempts.Load(); n != 3 {
		t.Fatalf("callback attempts = %d, want 3", n)
	}
	if code, _ := postJob(t, s, j); code != http.StatusOK || h.runs.Load() != 1 {
		t.Fatalf("after done: %d, runs %d", code, h.runs.Load())
	}
}

func TestAsyncConcurrentDuplicatesRunOnce(t *testing.T) {
	h := &eraser{delay: 30 * time.Millisecond}
	s := New(Options{Secret: secret, Async: true}, h)
	j := job("r1")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if code, _ := postJob(t, s, j); code != http.StatusAccepted && code != http.StatusOK {
				t.Errorf("submit: %d", code)
			}
		})
	}
	wg.Wait()
	s.Close()
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times", n)
	}
}

func TestPoll(t *testing.T) {
	release := make(chan struct{})
	s := New(Options{Secret: secret, Async: true}, HandlerFunc(func(ctx context.Context, j connectors.Job) (connectors.Result, error) {
		<-release
		return connectors.Result{Status: connectors.StatusNotFound}, nil
	}))
	defer s.Close()
	poll := func(id string, sign bool) int {
		req := httptest.NewRequest(http.MethodGet, "/v1/jobs/"+id, nil)
		if sign {
			connectors.SignRequest(req, secret, nil, time.Now())
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := poll("r1:crm:erase", true); code != http.StatusNotFound {
		t.Fatalf("unknown job: %d", code)
	}
	postJob(t, s, job("r1"))
	if code := poll("r1:crm:erase", false); code != http.StatusUnauthorized {
		t.Fatalf("unsigned poll: %d", code)
	}
	if code := poll("r1:crm:erase", true); code != http.StatusAccepted {
		t.Fatalf("running: %d", code)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for poll("r1:crm:erase", true) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("never done")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
