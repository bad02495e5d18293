package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
)

var (
	callbackSecret = []byte(strings.Repeat("k", connectors.MinSecretBytes))
	callbackNow    = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
)

// signalClient records the signals the front door sends; failNext makes the next one fail.
type signalClient struct {
	client.Client
	mu       sync.Mutex
	signals  []string
	failNext bool
	// missing names workflows that do not exist: a signal to one is NotFound.
	missing map[string]bool
}

func (c *signalClient) SignalWorkflow(_ context.Context, id, _, name string, _ any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failNext {
		c.failNext = false
		return errors.New("temporal is down")
	}
	if c.missing[id] {
		return serviceerror.NewNotFound("workflow not found")
	}
	c.signals = append(c.signals, id+" "+name)
	return nil
}

func (c *signalClient) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.signals)
}

type callbackFixture struct {
	st     *store.Store
	client *signalClient
	h      http.Handler
}

// newCallbackFixture is a front door with connector crm, a request waiting for its code (dsr_wait) and
// one fulfilling with crm's access job issued (dsr_busy).
func newCallbackFixture(t *testing.T) callbackFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for id, status := range map[string]dsrflow.Status{"dsr_wait": "verifying", "dsr_busy": "fulfilling"} {
		r := store.Request{ID: id, Type: "access", Status: status, Country: "NO", Jurisdiction: "gdpr",
			ReceivedAt: callbackNow.Add(-time.Hour), DueAt: callbackNow.Add(30 * 24 * time.Hour), SubjectKey: "k-" + id}
		if err := st.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.IssueJob(ctx, store.Job{JobID: "dsr_busy:crm:access", RequestID: "dsr_busy", ConnectorID: "crm", Owner: "Example Marketing AS", Role: "subsidiary", Action: "access"}); err != nil {
		t.Fatal(err)
	}
	reg, err := connectors.NewRegistry(connectors.Connector{
		ID: "crm", Owner: "Example Marketing AS", Role: connectors.RoleSubsidiary,
		Settings: httpkind.Settings{URL: "http://127.0.0.1:1/crm", Secret: callbackSecret}, Actions: []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{"email"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &signalClient{}
	return callbackFixture{st: st, client: c, h: web.NewServer(web.Deps{Store: st, Client: c, Connectors: reg, Now: func() time.Time { return callbackNow }})}
}

func (f callbackFixture) post(body string, signed bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/connectors/v1/callbacks/crm", strings.NewReader(body))
	if signed {
		connectors.SignRequest(req, callbackSecret, []byte(body), callbackNow)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

// lazyBody yields n bytes of 'x' without holding them, and counts what was read of it.
type lazyBody struct {
	left int64
	read *atomic.Int64
}

func (b *lazyBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.left)
	for i := range p[:n] {
		p[i] = 'x'
	}
	b.left -= n
	b.read.Add(n)
	return int(n), nil
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestCallbackFloodsAreNotRead is the attack of 12 parallel 31 MB posts, unsigned, over the declared
// limit, or signed with a made-up signature: the first two kinds are answered without reading a byte;
// the third is streamed through the signature check to an encrypted spool, not kept in memory. The
// heap grows by less than 50 MB over all of it (the unpatched front door buffered each body whole).
func TestCallbackFloodsAreNotRead(t *testing.T) {
	f := newCallbackFixture(t)
	const size = 31 << 20
	fakeMAC := "v1=" + strings.Repeat("ab", 32)
	cases := []struct {
		name     string
		length   int64 // the declared Content-Length; -1 for chunked
		headers  map[string]string
		want     int
		readNone bool
	}{
		{"unsigned", size, nil, http.StatusUnauthorized, true},
		{"stale", size, map[string]string{connectors.HeaderTimestamp: fmt.Sprint(callbackNow.Add(-time.Hour).Unix()), connectors.HeaderSignature: fakeMAC}, http.StatusUnauthorized, true},
		{"declared over the limit", connectors.MaxResultBytes + 1, map[string]string{connectors.HeaderTimestamp: fmt.Sprint(callbackNow.Unix()), connectors.HeaderSignature: fakeMAC}, http.StatusRequestEntityTooLarge, true},
		{"made-up signature", -1, map[string]string{connectors.HeaderTimestamp: fmt.Sprint(callbackNow.Unix()), connectors.HeaderSignature: fakeMAC}, http.StatusUnauthorized, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := heapInUse()
			var read atomic.Int64
			var wg sync.WaitGroup
			statuses := make(chan int, 12)
			for range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n := int64(size)
					if tc.length > n {
						n = tc.length
					}
					req := httptest.NewRequest(http.MethodPost, "/connectors/v1/callbacks/crm", &lazyBody{left: n, read: &read})
					req.ContentLength = tc.length
					for k, v := range tc.headers {
						req.Header.Set(k, v)
					}
					w := httptest.NewRecorder()
					f.h.ServeHTTP(w, req)
					statuses <- w.Code
				}()
			}
			wg.Wait()
			close(statuses)
			growth := int64(heapInUse()) - int64(before)
			for st := range statuses {
				// Beyond 8 at once, a body waits for a slot: 503, to be retried.
				if st != tc.want && !(st == http.StatusServiceUnavailable && !tc.readNone) {
					t.Errorf("status %d, want %d", st, tc.want)
				}
			}
			if tc.readNone && read.Load() != 0 {
				t.Errorf("%d bytes read before answering", read.Load())
			}
			t.Logf("%s: heap growth %d KB, %d MB read", tc.name, growth>>10, read.Load()>>20)
			if growth > 50<<20 {
				t.Errorf("heap grew by %d MB", growth>>20)
			}
		})
	}
	if f.client.count() != 0 {
		t.Errorf("%d signals from refused callbacks", f.client.count())
	}
}

// TestCallbackBodiesAreBounded holds eight callback bodies open: the ninth is told 503 to retry later.
func TestCallbackBodiesAreBounded(t *testing.T) {
	f := newCallbackFixture(t)
	var writers []*io.PipeWriter
	var wg sync.WaitGroup
	for range 8 {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req := httptest.NewRequest(http.MethodPost, "/connectors/v1/callbacks/crm", pr)
		req.Header.Set(connectors.HeaderTimestamp, fmt.Sprint(callbackNow.Unix()))
		req.Header.Set(connectors.HeaderSignature, "v1="+strings.Repeat("ab", 32))
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.h.ServeHTTP(httptest.NewRecorder(), req)
		}()
		if _, err := pw.Write([]byte("{")); err != nil { // the handler is reading: it holds a slot
			t.Fatal(err)
		}
	}
	if w := f.post(`{"job_id":"dsr_busy:crm:access","status":"completed"}`, true); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("a ninth body: %d %s, want 503 with Retry-After", w.Code, w.Body)
	}
	for _, pw := range writers {
		pw.Close()
	}
	wg.Wait()
	if w := f.post(`{"job_id":"dsr_busy:crm:access","status":"completed"}`, true); w.Code != http.StatusOK {
		t.Errorf("once the slots are free: %d %s", w.Code, w.Body)
	}
}

// TestCallbackOnlyForIssuedOpenJobs is the attack of a connector (its secret known) posting results for
// jobs it was never sent and for jobs that finished: refused with 409, nothing stored, no signal. The
// issued job's result is taken once; a failed delivery leaves it open for the connector's retry.
func TestCallbackOnlyForIssuedOpenJobs(t *testing.T) {
	f := newCallbackFixture(t)
	ctx := context.Background()
	records := func(email string) string {
		return `{"job_id":"dsr_%s:crm:access","status":"completed","records":[{"dataset":"contacts","fields":{"email":"` + email + `"}}]}`
	}

	// A request still waiting for its code: no job was issued.
	if w := f.post(fmt.Sprintf(records("x@example.com"), "wait"), true); w.Code != http.StatusConflict {
		t.Fatalf("callback for a request waiting for its code: %d %s, want 409", w.Code, w.Body)
	}
	if got, err := f.st.ListJobRecords(ctx, "dsr_wait"); err != nil || len(got) != 0 {
		t.Fatalf("records stored for a job never issued: %v %v", got, err)
	}

	// The issued job: the first delivery fails (Temporal down), so the job stays open for the retry.
	f.client.failNext = true
	if w := f.post(fmt.Sprintf(records("jane@example.com"), "busy"), true); w.Code < 500 {
		t.Fatalf("delivery failure: %d %s, want 5xx", w.Code, w.Body)
	}
	if w := f.post(fmt.Sprintf(records("jane@example.com"), "busy"), true); w.Code != http.StatusOK {
		t.Fatalf("the connector's retry: %d %s", w.Code, w.Body)
	}
	// A duplicate, then a late callback with other records: refused, no signal, the records kept.
	for _, body := range []string{fmt.Sprintf(records("jane@example.com"), "busy"), fmt.Sprintf(records("mallory@example.com"), "busy")} {
		if w := f.post(body, true); w.Code != http.StatusConflict {
			t.Fatalf("callback after the result: %d %s, want 409", w.Code, w.Body)
		}
	}
	if f.client.count() != 1 {
		t.Fatalf("%d signals (%v), want 1", f.client.count(), f.client.signals)
	}
	got, err := f.st.ListJobRecords(ctx, "dsr_busy")
	if err != nil || !strings.Contains(string(got["dsr_busy:crm:access"]), "jane@example.com") {
		t.Fatalf("records after a late callback: %s %v", got["dsr_busy:crm:access"], err)
	}
	jobs, _ := f.st.ListJobs(ctx, "dsr_busy")
	if len(jobs) != 1 || jobs[0].Status != "completed" {
		t.Fatalf("job after its result: %+v", jobs)
	}
}

// TestCallbackForADisclosureSubject: a disclosure's job result goes to its subject's workflow
// (workflows.DisclosureSubjectID), and to the disclosure's own when that workflow does not exist (a
// disclosure of the old shape ran its subjects' jobs itself).
func TestCallbackForADisclosureSubject(t *testing.T) {
	f := newCallbackFixture(t)
	ctx := context.Background()
	for _, id := range []string{"dsr_disc", "dsr_old"} {
		r := store.Request{ID: id, Type: "disclosure", Status: "fulfilling", Country: "NO", ReceivedAt: callbackNow.Add(-time.Hour), DueAt: callbackNow.Add(30 * 24 * time.Hour)}
		if err := f.st.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := f.st.IssueJob(ctx, store.Job{JobID: id + ":s2:crm:access", RequestID: id, ConnectorID: "crm", Owner: "Example Marketing AS", Role: "subsidiary", Action: "access"}); err != nil {
			t.Fatal(err)
		}
	}
	f.client.missing = map[string]bool{"dsr_old:s2": true}
	for _, id := range []string{"dsr_disc", "dsr_old"} {
		body := `{"job_id":"` + id + `:s2:crm:access","status":"completed","records":[{"dataset":"contacts","fields":{"email":"jane@example.com"}}]}`
		if w := f.post(body, true); w.Code != http.StatusOK {
			t.Fatalf("callback for %s's subject 2: %d %s", id, w.Code, w.Body)
		}
		// The records belong to the disclosure, whose bundle reads them.
		if got, err := f.st.ListJobRecords(ctx, id); err != nil || len(got[id+":s2:crm:access"]) == 0 {
			t.Fatalf("records of %s: %v %v", id, got, err)
		}
	}
	want := []string{"dsr_disc:s2 job_result", "dsr_old job_result"}
	if fmt.Sprint(f.client.signals) != fmt.Sprint(want) {
		t.Fatalf("signals %v, want %v", f.client.signals, want)
	}
}
