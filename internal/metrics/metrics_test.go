package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

const janeEmail = "jane.doe@example.com"

var now = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// scrape fetches /metrics over real HTTP and returns its lines; the status must be 200.
func scrape(t *testing.T, h http.Handler) []string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d:\n%s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q, want Prometheus text format", ct)
	}
	return strings.Split(string(body), "\n")
}

// withPrefix returns the sample lines of the metric family (name followed by '{' or ' ').
func withPrefix(lines []string, name string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
			out = append(out, l)
		}
	}
	return out
}

func wantLines(t *testing.T, lines []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("scrape lacks the line %q", w)
		}
	}
}

func openStore(t *testing.T) *store.Store {
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
	return st
}

func putRequest(t *testing.T, st *store.Store, id, typ, status string, due time.Time, closed bool) {
	t.Helper()
	r := store.Request{ID: id, Type: dsrflow.RequestType(typ), Status: dsrflow.Status(status), Country: "NO", Jurisdiction: "gdpr", ReceivedAt: now.Add(-20 * 24 * time.Hour), DueAt: due}
	if closed {
		at := now.Add(-time.Hour)
		r.ClosedAt = &at
	}
	if err := st.PutRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func TestStoreMetrics(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	day := 24 * time.Hour
	putRequest(t, st, "dsr_a1", "access", "fulfilling", now.Add(-day), false) // overdue
	putRequest(t, st, "dsr_a2", "access", "fulfilling", now.Add(3*day), false)
	putRequest(t, st, "dsr_a3", "access", "answered", now.Add(-2*day), true) // closed: neither overdue nor due
	putRequest(t, st, "dsr_e1", "erasure", "verifying", now.Add(20*day), false)

	// Jane's request goes through the store as intake writes it: index row, personal details, mail.
	key, err := secret.Parse(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	jane := store.Request{ID: "dsr_jane", Type: "erasure", Status: "verifying", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: now, DueAt: now.Add(5 * day), SubjectKey: key.SubjectKey(janeEmail)}
	if err := st.PutRequest(ctx, jane); err != nil {
		t.Fatal(err)
	}
	if err := st.PutRequestDetail(ctx, store.RequestDetail{RequestID: jane.ID, Identity: []byte(`{"email":"` + janeEmail + `","name":"Jane Doe"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnqueueMessage(ctx, store.Message{ID: "msg_1", RequestID: jane.ID, Kind: "verification_code", To: janeEmail, Subject: "Your code", Body: "Dear Jane Doe"}); err != nil {
		t.Fatal(err)
	}

	reg := metrics.NewRegistry()
	if err := reg.Register(metrics.NewStoreCollector(st, func() time.Time { return now }, nil)); err != nil {
		t.Fatal(err)
	}
	reg.ConnectorCall("crm", "erase", "completed", 10*time.Millisecond)
	lines := scrape(t, reg.Handler())

	got := withPrefix(lines, "dsrflow_requests")
	want := []string{
		`dsrflow_requests{status="answered",type="access"} 1`,
		`dsrflow_requests{status="fulfilling",type="access"} 2`,
		`dsrflow_requests{status="verifying",type="erasure"} 2`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("dsrflow_requests lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantLines(t, lines,
		"# TYPE dsrflow_requests gauge",
		"dsrflow_store_up 1",
		"dsrflow_requests_overdue 1",
		"dsrflow_requests_due_within_7d 3", // a1 (overdue), a2, jane
		`dsrflow_connector_jobs_total{action="erase",connector="crm",status="completed"} 1`,
		`dsrflow_connector_call_seconds_count{action="erase",connector="crm"} 1`,
	)
	if len(withPrefix(lines, "process_start_time_seconds")) != 1 || len(withPrefix(lines, "go_goroutines")) != 1 {
		t.Error("scrape lacks the process and Go collectors")
	}

	whole := strings.Join(lines, "\n")
	if strings.Contains(whole, "@") {
		t.Errorf("the scrape holds an '@': personal data in a label?\n%s", whole)
	}
	for _, id := range []string{"dsr_jane", "dsr_a1", "msg_1", "Jane"} {
		if strings.Contains(whole, id) {
			t.Errorf("the scrape holds %q", id)
		}
	}
}

// TestStoreDown checks that a store that does not answer makes dsrflow_store_up 0 and leaves the request
// metrics out, while the scrape itself still succeeds.
func TestStoreDown(t *testing.T) {
	st := openStore(t)
	putRequest(t, st, "dsr_a1", "access", "fulfilling", now, false)
	reg := metrics.NewRegistry()
	if err := reg.Register(metrics.NewStoreCollector(st, func() time.Time { return now }, nil)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	lines := scrape(t, reg.Handler())
	wantLines(t, lines, "dsrflow_store_up 0")
	for _, name := range []string{"dsrflow_requests", "dsrflow_requests_overdue", "dsrflow_requests_due_within_7d"} {
		if got := withPrefix(lines, name); len(got) > 0 {
			t.Errorf("store down, yet %v", got)
		}
	}
	if len(withPrefix(lines, "go_goroutines")) != 1 {
		t.Error("the other collectors are missing")
	}
}

func TestEventMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	for _, o := range []string{metrics.VerifyOK, metrics.VerifyWrong, metrics.VerifyWrong, metrics.VerifyDead} {
		reg.Verification(o)
	}
	reg.ConnectorCall("billing", "access", "accepted", 200*time.Millisecond)
	reg.ConnectorCall("billing", "access", metrics.StatusError, 3*time.Second)
	lines := scrape(t, reg.Handler())
	wantLines(t, lines,
		"# TYPE dsrflow_verifications_total counter",
		`dsrflow_verifications_total{outcome="ok"} 1`,
		`dsrflow_verifications_total{outcome="wrong"} 2`,
		`dsrflow_verifications_total{outcome="dead"} 1`,
		`dsrflow_connector_jobs_total{action="access",connector="billing",status="accepted"} 1`,
		`dsrflow_connector_jobs_total{action="access",connector="billing",status="error"} 1`,
		"# TYPE dsrflow_connector_call_seconds histogram",
		`dsrflow_connector_call_seconds_bucket{action="access",connector="billing",le="0.25"} 1`,
		`dsrflow_connector_call_seconds_bucket{action="access",connector="billing",le="5"} 2`,
		`dsrflow_connector_call_seconds_sum{action="access",connector="billing"} 3.2`,
		`dsrflow_connector_call_seconds_count{action="access",connector="billing"} 2`,
	)
	// A nil registry counts nothing and does not panic: parts built without metrics need no check.
	var none *metrics.Registry
	none.Verification(metrics.VerifyOK)
	none.ConnectorCall("crm", "access", "completed", time.Second)
}
