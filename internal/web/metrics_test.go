package web_test

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

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/metrics"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

const (
	metricsToken = "test-token"
	metricsEmail = "jane.doe@example.com"
)

var metricsNow = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// metricsClient answers the verified update as a workflow would; nothing else is called.
type metricsClient struct{ client.Client }

func (metricsClient) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return metricsUpdateHandle{o.WorkflowID}, nil
}

type metricsUpdateHandle struct{ id string }

func (h metricsUpdateHandle) WorkflowID() string { return h.id }
func (metricsUpdateHandle) RunID() string        { return "" }
func (metricsUpdateHandle) UpdateID() string     { return "" }
func (metricsUpdateHandle) Get(_ context.Context, v any) error {
	*v.(*workflows.State) = workflows.State{Status: "fulfilling", Due: metricsNow.Add(30 * 24 * time.Hour), Verified: true}
	return nil
}

func getMetrics(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestMetricsVerifications checks each code check's outcome in dsrflow_verifications_total, scraped from
// the front door itself, along with the store's counts, and that no personal data reaches the scrape.
func TestMetricsVerifications(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := secret.Parse(strings.Repeat("cd", 32))
	if err != nil {
		t.Fatal(err)
	}
	// Every request is Jane's: index row with her subject key, her identity in the details.
	// One subject has one open request per type (migration 0009): each is of another type.
	types := map[string]dsrflow.RequestType{"dsr_ok": "access", "dsr_wrong": "portability", "dsr_dead": "erasure", "dsr_expired": "restriction", "dsr_nocode": "objection"}
	for _, id := range []string{"dsr_ok", "dsr_wrong", "dsr_dead", "dsr_expired", "dsr_nocode"} {
		r := store.Request{ID: id, Type: types[id], Status: "verifying", Country: "NO", Jurisdiction: "gdpr",
			ReceivedAt: metricsNow.Add(-2 * time.Hour), DueAt: metricsNow.Add(30 * 24 * time.Hour), SubjectKey: key.SubjectKey(metricsEmail)}
		if err := st.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := st.PutRequestDetail(ctx, store.RequestDetail{RequestID: id, Identity: []byte(`{"email":"` + metricsEmail + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(id string, attempts int, expires time.Time) {
		t.Helper()
		if _, err := st.IssueCode(ctx, id, key.CodeHash(id, "123456"), metricsNow.Add(-2*time.Hour), expires, attempts, false, 3); err != nil {
			t.Fatal(err)
		}
	}
	issue("dsr_ok", 3, metricsNow.Add(time.Hour))
	issue("dsr_wrong", 3, metricsNow.Add(time.Hour))
	issue("dsr_dead", 1, metricsNow.Add(time.Hour))
	issue("dsr_expired", 3, metricsNow.Add(-time.Hour))

	reg := metrics.NewRegistry()
	if err := reg.Register(metrics.NewStoreCollector(st, func() time.Time { return metricsNow }, nil)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.NewServer(web.Deps{
		Store: st, Key: key, Auth: web.DevToken(metricsToken), Client: metricsClient{}, Now: func() time.Time { return metricsNow }, Metrics: reg,
	}))
	defer srv.Close()

	verify := func(id, code string, want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/requests/"+id+"/verify", strings.NewReader(`{"code":"`+code+`"}`))
		req.Header.Set("Authorization", "Bearer "+metricsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("verify %s %s = %d %s, want %d", id, code, resp.StatusCode, body, want)
		}
	}
	verify("dsr_ok", "123456", http.StatusOK)
	verify("dsr_wrong", "000000", http.StatusBadRequest)
	verify("dsr_wrong", "000001", http.StatusBadRequest)
	verify("dsr_dead", "000000", http.StatusBadRequest) // the last attempt: the code is dead
	verify("dsr_dead", "123456", http.StatusBadRequest) // right, but too late
	verify("dsr_expired", "123456", http.StatusConflict)
	verify("dsr_nocode", "123456", http.StatusConflict)
	verify("dsr_wrong", "12345x", http.StatusBadRequest) // not a code: not a verification

	status, body := getMetrics(t, srv.URL+"/metrics") // no token: scrapers do not carry one
	if status != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", status, body)
	}
	lines := strings.Split(body, "\n")
	for _, want := range []string{
		"# TYPE dsrflow_verifications_total counter",
		`dsrflow_verifications_total{outcome="ok"} 1`,
		`dsrflow_verifications_total{outcome="wrong"} 2`,
		`dsrflow_verifications_total{outcome="dead"} 2`,
		`dsrflow_verifications_total{outcome="expired"} 1`,
		`dsrflow_verifications_total{outcome="no_code"} 1`,
		`dsrflow_requests{status="verifying",type="access"} 1`,
		`dsrflow_requests{status="verifying",type="erasure"} 1`,
		"dsrflow_store_up 1",
		"dsrflow_requests_overdue 0",
		"dsrflow_requests_due_within_7d 0",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, "@") || strings.Contains(body, "dsr_") {
		t.Errorf("personal data or request ids in the scrape:\n%s", body)
	}
}

// TestNoMetricsRoute checks that a server built without a registry has no /metrics.
func TestNoMetricsRoute(t *testing.T) {
	srv := httptest.NewServer(web.NewServer(web.Deps{}))
	defer srv.Close()
	if status, _ := getMetrics(t, srv.URL+"/metrics"); status != http.StatusNotFound {
		t.Errorf("GET /metrics without a registry = %d, want 404", status)
	}
}
