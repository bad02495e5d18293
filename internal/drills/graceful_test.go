//go:build drills

package drills

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/devserver"
	"github.com/dsrflow/dsrflow/internal/web"
)

// slowConnectors stands between the workers and the demo connectors: every job submission takes delay,
// and each submission's job id is counted, with whether its answer reached the worker.
type slowConnectors struct {
	delay time.Duration

	mu       sync.Mutex
	sent     map[string]int  // submissions per job id
	answered map[string]int  // submissions whose answer the worker read to the end
	inFlight map[string]bool // submissions under way
}

func (s *slowConnectors) proxy(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/jobs") {
			rp.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var job struct {
			ID string `json:"job_id"`
		}
		_ = json.Unmarshal(body, &job)
		s.mu.Lock()
		s.sent[job.ID]++
		s.inFlight[job.ID] = true
		s.mu.Unlock()
		time.Sleep(s.delay)
		rp.ServeHTTP(w, r)
		s.mu.Lock()
		delete(s.inFlight, job.ID)
		if r.Context().Err() == nil {
			s.answered[job.ID]++
		}
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (s *slowConnectors) running() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.inFlight {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// TestDrillGracefulStop sends SIGTERM to the production `worker` while connector calls are under way (each
// takes 2 s): the worker stops taking work at once but finishes the calls it started (WorkerStopTimeout)
// and exits; a second worker carries on. Every call under way at the signal gets its answer to the worker,
// and no job is submitted twice: a finished activity never runs again.
func TestDrillGracefulStop(t *testing.T) {
	n := 12
	if short {
		n = 6
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

	slow := &slowConnectors{delay: 2 * time.Second, sent: map[string]int{}, answered: map[string]int{}, inFlight: map[string]bool{}}
	httpAddr := freeAddr()
	pe := newProdEnv(t, dir, temporalAddr, pg.url, d, "DSR_HTTP_ADDR="+httpAddr, "DSR_PUBLIC_URL=http://"+httpAddr)
	// The workers reach the connectors through the slow proxies.
	yamlPath := filepath.Join(dir, "connectors.yaml")
	yaml, err := os.ReadFile(yamlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Registry().List() {
		if hs, ok := c.Settings.(httpkind.Settings); ok {
			yaml = bytes.ReplaceAll(yaml, []byte("url: "+hs.URL+"\n"), []byte("url: "+slow.proxy(t, hs.URL)+"\n"))
		}
	}
	if err := os.WriteFile(yamlPath, yaml, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := pe.command(starter, "migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	// The administrator's step: production workers only check the namespace.
	if out, err := pe.command(starter, "temporal", "setup").CombinedOutput(); err != nil {
		t.Fatalf("temporal setup: %v %s", err, out)
	}
	tok, err := pe.command(starter, "token", "create", "--role", "agent", "--name", "drill").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	var logs lockedWriter
	logs.w = &strings.Builder{}
	start := func(args ...string) *devProcess {
		p := &devProcess{cmd: pe.command(args[0], args[1:]...), done: make(chan struct{})}
		p.cmd.Stdout, p.cmd.Stderr = &logs, &logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() { p.kill(syscall.SIGINT) })
		return p
	}
	worker1 := start(worker)
	start(starter, "serve")
	a := api{url: "http://" + httpAddr, token: strings.TrimSpace(string(tok)), http: &http.Client{Timeout: 30 * time.Second}}
	waitFor(t, func() bool {
		st, _, err := a.call(ctx, "GET", "/readyz", nil)
		return err == nil && st == http.StatusOK
	})

	ids := make([]string, n)
	for i := range n {
		ids[i] = a.create(t, web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: drillSubject(i), Attest: "fault drill"})
	}
	waitFor(t, func() bool { return len(slow.running()) >= 2 })
	underWay := slow.running()
	_ = worker1.cmd.Process.Signal(syscall.SIGTERM)
	signalled := time.Now()
	start(worker) // worker 2 takes what worker 1 no longer polls for
	select {
	case <-worker1.done:
	case <-time.After(app.WorkerStopTimeout + 10*time.Second):
		t.Fatalf("worker 1 still runs %s after SIGTERM", app.WorkerStopTimeout+10*time.Second)
	}
	exited := time.Since(signalled)

	views := a.waitClosed(t, ids, 5*time.Minute)
	byJob, err := d.Effects()
	if err != nil {
		t.Fatal(err)
	}
	completed, lost, dup, problems := account(ids, views, byJob)
	slow.mu.Lock()
	for _, id := range underWay {
		if slow.answered[id] == 0 {
			problems = append(problems, id+": under way at SIGTERM, its answer never reached a worker")
		}
	}
	resubmitted := 0
	for id, c := range slow.sent {
		if c > 1 {
			resubmitted++
			problems = append(problems, fmt.Sprintf("%s submitted %d times", id, c))
		}
	}
	slow.mu.Unlock()
	reportMore("graceful_stop", n, completed, n-completed+lost, dup, fmt.Sprintf(" resubmitted=%d", resubmitted),
		fmt.Sprintf("SIGTERM with %d connector calls under way; worker 1 exited %.1f s later", len(underWay), exited.Seconds()))
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%d problems: %v\nlogs:\n%s", len(problems), problems[:min(10, len(problems))], logs.w)
	}
}
