//go:build drills

package drills

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/internal/devserver"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// pgCluster is a PostgreSQL cluster the drill stops and starts (scripts/pg-cluster.sh).
type pgCluster struct {
	script, dir, url string
}

func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	c := &pgCluster{script: filepath.Join(filepath.Dir(file), "..", "..", "scripts", "pg-cluster.sh")}
	dir, err := os.MkdirTemp("", "dsr-drill-pg")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	out, err := exec.Command(c.script, "init", dir).Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL server binaries not found")
		}
		t.Skip("PostgreSQL server binaries not found: the store-outage drill needs them")
	}
	if err != nil {
		t.Fatalf("pg-cluster init: %v", err)
	}
	c.url = strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command(c.script, "destroy", dir).Run() })
	c.run(t, "start")
	return c
}

func (c *pgCluster) run(t *testing.T, cmd string) {
	t.Helper()
	if out, err := exec.Command(c.script, cmd, c.dir).CombinedOutput(); err != nil {
		t.Fatalf("pg-cluster %s: %v %s", cmd, err, out)
	}
}

// TestDrillStoreOutage runs production mode — `worker` and `starter serve` against a Temporal server
// and PostgreSQL — stops PostgreSQL while a batch of restrictions fans out and starts it again. Every
// request completes, every job acts once, the index holds every request and `starter audit verify`
// passes. The drill's own embedded Temporal server (internal/devserver) stands in for the cluster.
func TestDrillStoreOutage(t *testing.T) {
	n, outage := 30, 20*time.Second
	if short {
		n, outage = 8, 8*time.Second
	}
	worker, starter := binaries(t)
	pg := newPGCluster(t)
	ctx := context.Background()
	dir := t.TempDir()

	temporalAddr := freeAddr()
	srv, err := devserver.Start(devserver.Options{DatabaseFile: filepath.Join(dir, "temporal.db"), FrontendAddr: temporalAddr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	seedDemo(t, dir, n)
	d, err := demo.Start(ctx, filepath.Join(dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	httpAddr := freeAddr()
	pe := newProdEnv(t, dir, temporalAddr, pg.url, d, "DSR_HTTP_ADDR="+httpAddr, "DSR_PUBLIC_URL=http://"+httpAddr)
	command := pe.command
	if out, err := command(starter, "migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	// The administrator's step: production workers only check the namespace.
	if out, err := command(starter, "temporal", "setup").CombinedOutput(); err != nil {
		t.Fatalf("temporal setup: %v %s", err, out)
	}
	tok, err := command(starter, "token", "create", "--role", "agent", "--name", "drill").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	var logs lockedWriter
	logs.w = &strings.Builder{}
	for _, args := range [][]string{{worker}, {starter, "serve"}} {
		p := command(args[0], args[1:]...)
		p.Stdout, p.Stderr = &logs, &logs
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = p.Process.Signal(syscall.SIGINT); _ = p.Wait() }()
	}
	a := api{url: "http://" + httpAddr, token: strings.TrimSpace(string(tok)), http: &http.Client{Timeout: 30 * time.Second}}
	waitFor(t, func() bool {
		st, _, err := a.call(ctx, "GET", "/readyz", nil)
		return err == nil && st == http.StatusOK
	})

	ids := make([]string, n)
	for i := range n {
		ids[i] = a.create(t, web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: drillSubject(i), Attest: "fault drill"})
	}
	want := n * len(expectedJobs(""))
	waitFor(t, func() bool {
		byJob, _ := d.Effects()
		return len(byJob) >= want/4
	})
	atStop, _ := d.Effects()
	pg.run(t, "stop")
	stopped := time.Now()
	time.Sleep(outage)
	byJob, _ := d.Effects()
	during := len(byJob)
	pg.run(t, "start")
	views := a.waitClosed(t, ids, 5*time.Minute)
	byJob, err = d.Effects()
	if err != nil {
		t.Fatal(err)
	}

	completed, lost, dup, problems := account(ids, views, byJob)
	st, err := store.OpenPostgres(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.ListRequests(ctx, store.RequestFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		problems = append(problems, fmt.Sprintf("the index holds %d requests, want %d", len(rows), n))
	}
	verify, err := command(starter, "audit", "verify").CombinedOutput()
	if err != nil {
		problems = append(problems, fmt.Sprintf("audit verify: %v %s", err, verify))
	}
	report("store_outage", n, completed, n-completed+lost, dup,
		fmt.Sprintf("PostgreSQL stopped for %s with %d of %d jobs acted (%d by its end); all closed %.1f s after it stopped; %s",
			outage, len(atStop), want, during, time.Since(stopped).Seconds(), strings.TrimSpace(string(verify))))
	if len(problems) > 0 {
		for _, id := range ids {
			if v := views[id]; v.Status != "completed" {
				t.Logf("%s: %s", id, describeStuck(ctx, temporalAddr, id))
			}
		}
		t.Fatalf("%d problems: %v\nlogs:\n%s", len(problems), problems[:min(10, len(problems))], logs.w)
	}
}

func joinActions(c connectors.Connector) string {
	names := make([]string, len(c.Actions))
	for i, a := range c.Actions {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// describeStuck says what an unfinished workflow waits on: its pending activities and its last events.
// Payloads stay encrypted; types, attempts and states are enough to see where it stopped.
func describeStuck(ctx context.Context, addr, id string) string {
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, a := range d.GetPendingActivities() {
		parts = append(parts, fmt.Sprintf("pending %s attempt %d %s", a.GetActivityType().GetName(), a.GetAttempt(), a.GetState()))
	}
	var events []string
	it := c.GetWorkflowHistory(ctx, id, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			break
		}
		events = append(events, strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_"))
	}
	if len(events) > 8 {
		events = events[len(events)-8:]
	}
	return fmt.Sprintf("%s; last events %s", strings.Join(parts, ", "), strings.Join(events, " "))
}
