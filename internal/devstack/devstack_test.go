package devstack_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// restartProbe records a request row and an audit event, waits for a signal that may arrive after the
// whole stack restarted, then records the close. It exercises the worker, the store activities and
// durable workflow state through the real embedded server.
func restartProbe(ctx workflow.Context, req store.Request) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var a *activities.Store
	if err := workflow.ExecuteActivity(ctx, a.RecordRequest, req).Get(ctx, nil); err != nil {
		return "", err
	}
	if err := workflow.ExecuteActivity(ctx, a.AppendAudit, store.AuditEvent{At: req.ReceivedAt, RequestID: req.ID, Action: "received", Actor: "test"}).Get(ctx, nil); err != nil {
		return "", err
	}
	var word string
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, &word)
	req.Status = "completed"
	closed := workflow.Now(ctx).UTC()
	req.ClosedAt = &closed
	if err := workflow.ExecuteActivity(ctx, a.RecordRequest, req).Get(ctx, nil); err != nil {
		return "", err
	}
	if err := workflow.ExecuteActivity(ctx, a.AppendAudit, store.AuditEvent{At: closed, RequestID: req.ID, Action: "completed", Actor: "test"}).Get(ctx, nil); err != nil {
		return "", err
	}
	return "finished:" + word, nil
}

func registerProbe(r worker.Registry) { r.RegisterWorkflow(restartProbe) }

func testConfig(t *testing.T, dir string) config.Dev {
	t.Helper()
	return config.Dev{DataDir: dir, TemporalAddr: freeAddr(t), HTTPAddr: "127.0.0.1:0", Demo: true}
}

// freeAddr returns a loopback address whose port the kernel will not hand to another bind(:0) for a
// while (the server's freeport helper leaves it in TIME_WAIT): test packages run in parallel.
func freeAddr(t *testing.T) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
}

func start(t *testing.T, cfg config.Dev) *devstack.Stack {
	t.Helper()
	return startWith(t, devstack.Options{Config: cfg})
}

// startWith starts a dev stack with opts and the test probe registered.
func startWith(t *testing.T, opts devstack.Options) *devstack.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts.Register = registerProbe
	s, err := devstack.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start dev stack: %v", err)
	}
	return s
}

// stop closes the stack. The 5-second promise of Ctrl-C is asserted once, in worker's
// TestDevRunsEverythingAndStopsOnSignal; here a loaded CI machine gets more room.
func stop(t *testing.T, s *devstack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("stop dev stack: %v", err)
	}
}

func TestRestartResumesWorkflowsAndKeepsStore(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	ctx := context.Background()

	s := start(t, cfg)
	assertReady(t, s.URL())
	received := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	req := store.Request{ID: "dsr_restartprobe", Type: "access", Status: "received", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: received, DueAt: received.AddDate(0, 1, 0), UpdatedAt: received}
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: req.ID, TaskQueue: workflows.TaskQueue}, restartProbe, req)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "request row", func() bool { _, err := s.Store.GetRequest(ctx, req.ID); return err == nil })
	waitFor(t, "received audit event", func() bool { ev, _ := s.Store.ListAudit(ctx, req.ID); return len(ev) == 1 })
	stop(t, s)

	// The same data directory, a new process's worth of parts: the workflow must still be waiting.
	s = start(t, cfg)
	defer stop(t, s)
	if err := s.Client.SignalWorkflow(ctx, req.ID, "", "finish", "again"); err != nil {
		t.Fatalf("signal after restart: %v", err)
	}
	var result string
	if err := s.Client.GetWorkflow(ctx, req.ID, run.GetRunID()).Get(ctx, &result); err != nil {
		t.Fatalf("workflow result after restart: %v", err)
	}
	if result != "finished:again" {
		t.Fatalf("workflow result = %q, want finished:again", result)
	}
	got, err := s.Store.GetRequest(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "completed" || got.ClosedAt == nil || !got.ReceivedAt.Equal(received) {
		t.Fatalf("request row after restart = %+v", got)
	}
	events, err := s.Store.ListAudit(ctx, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Action != "received" || events[1].Action != "completed" {
		t.Fatalf("audit events = %+v, want received then completed", events)
	}
	report, err := s.Store.VerifyAudit(ctx)
	if err != nil || !report.OK || report.Checked != 2 {
		t.Fatalf("audit verify = %+v, %v", report, err)
	}
}

func TestBusyAddressesFailAtOnceNamingTheVariable(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	for _, tc := range []struct{ name, variable string }{
		{"http", "DSR_HTTP_ADDR"},
		{"temporal", "DSR_TEMPORAL_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			if tc.variable == "DSR_HTTP_ADDR" {
				cfg.HTTPAddr = busy.Addr().String()
			} else {
				cfg.TemporalAddr = busy.Addr().String()
			}
			begin := time.Now()
			s, err := devstack.Start(context.Background(), devstack.Options{Config: cfg})
			if err == nil {
				stop(t, s)
				t.Fatal("start on a busy address succeeded")
			}
			var addrErr *app.AddrError
			if !errors.As(err, &addrErr) || addrErr.Var != tc.variable || addrErr.Addr != busy.Addr().String() {
				t.Fatalf("error = %v, want one naming %s and %s", err, tc.variable, busy.Addr())
			}
			if d := time.Since(begin); d > 3*time.Second {
				t.Fatalf("failing took %s", d)
			}
			// Nothing was left behind: the data directory is free for the next start.
			cfg = testConfig(t, cfg.DataDir)
			stop(t, start(t, cfg))
		})
	}
}

func TestSecondProcessOnTheSameDataDirectoryIsRefused(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	s := start(t, cfg)
	defer stop(t, s)
	_, err := devstack.Start(context.Background(), devstack.Options{Config: testConfig(t, cfg.DataDir)})
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || cfgErr.Var != "DSR_DATA_DIR" {
		t.Fatalf("second start on the same data directory: %v, want a DSR_DATA_DIR error", err)
	}
}

func TestDevTokenIsPrivateAndStable(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	s := start(t, cfg)
	first := s.Token
	stop(t, s)
	path := filepath.Join(cfg.DataDir, devstack.TokenFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("dev token mode = %o, want 600", info.Mode().Perm())
	}
	if len(first) < 40 {
		t.Fatalf("dev token %d characters long, want at least 40", len(first))
	}
	s = start(t, cfg)
	defer stop(t, s)
	if s.Token != first {
		t.Fatal("dev token changed across restarts")
	}
}

func TestReadyzReportsTheFailingPart(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	assertReady(t, s.URL())
	if err := s.Store.Close(); err != nil {
		t.Fatal(err)
	}
	status, body := getJSON(t, s.URL()+"/readyz")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the store closed = %d, want 503", status)
	}
	if body["temporal"] != "ok" || body["worker"] != "ok" || body["store"] == "ok" || body["store"] == "" {
		t.Fatalf("readyz body = %v, want store failing and the others ok", body)
	}
}

func assertReady(t *testing.T, url string) {
	t.Helper()
	if status, _ := getJSON(t, url+"/healthz"); status != http.StatusOK {
		t.Fatalf("healthz = %d", status)
	}
	status, body := getJSON(t, url+"/readyz")
	want := map[string]string{"temporal": "ok", "store": "ok", "worker": "ok"}
	if status != http.StatusOK || len(body) != 3 || body["temporal"] != "ok" || body["store"] != "ok" || body["worker"] != "ok" {
		t.Fatalf("readyz = %d %v, want 200 %v", status, body, want)
	}
}

func getJSON(t *testing.T, url string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode, body
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
