//go:build drills

package drills

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// clusterShards is the drill cluster's number of history shards: several, so that shards move between
// owners as a real cluster's do, few enough for a 2-core machine.
const clusterShards = 4

// temporalCluster is Temporal's four services as four processes of internal/devserver/cmd/devserver on
// one PostgreSQL, each on fixed ports so that a killed process restarts where it was, as a pod behind a
// stable address would.
type temporalCluster struct {
	t                *testing.T
	bin, pgURL, dir  string
	frontend         string // host:port the workers and `starter` dial
	logs             *lockedWriter
	mu               sync.Mutex
	procs            map[string]*clusterProc
	grpc, membership map[string]int
}

type clusterProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startTemporalCluster(t *testing.T, pgURL, dir string, logs *lockedWriter) *temporalCluster {
	t.Helper()
	c := &temporalCluster{t: t, bin: temporalServerBin(t), pgURL: pgURL, dir: dir, frontend: freeAddr(), logs: logs,
		procs: map[string]*clusterProc{}, grpc: map[string]int{}, membership: map[string]int{}}
	_, fp, _ := net.SplitHostPort(c.frontend)
	c.grpc["frontend"], _ = strconv.Atoi(fp)
	for _, s := range []string{"frontend", "history", "matching", "worker"} {
		if s != "frontend" {
			_, p, _ := net.SplitHostPort(freeAddr())
			c.grpc[s], _ = strconv.Atoi(p)
		}
		c.membership[s] = lowFreePort(t)
	}
	t.Cleanup(c.stop)
	// All four at once, as a deployment starts them: they take turns creating the schema.
	for _, s := range []string{"frontend", "history", "matching", "worker"} {
		c.start(s)
	}
	for _, s := range []string{"frontend", "history", "matching", "worker"} {
		c.waitUp(s)
	}
	return c
}

// start runs one service's process.
func (c *temporalCluster) start(service string) {
	c.t.Helper()
	args := []string{"-postgres", c.pgURL, "-addr", c.frontend, "-shards", strconv.Itoa(clusterShards), "-services", service,
		"-membership-port", strconv.Itoa(c.membership[service]), "-log", filepath.Join(c.dir, "temporal-"+service+".log")}
	if service != "frontend" {
		args = append(args, "-grpc-port", strconv.Itoa(c.grpc[service]))
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = c.logs, c.logs
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start temporal %s: %v", service, err)
	}
	p := &clusterProc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c.mu.Lock()
	c.procs[service] = p
	c.mu.Unlock()
}

// waitUp waits until the service's gRPC port accepts connections, and fails if its process exits first.
func (c *temporalCluster) waitUp(service string) {
	c.t.Helper()
	c.mu.Lock()
	p := c.procs[service]
	c.mu.Unlock()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.grpc[service]))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return
		}
		select {
		case <-p.done:
			c.t.Fatalf("temporal %s exited during start:\n%s", service, c.logs.w)
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("temporal %s not listening on %s after 2 minutes", service, addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill9 kills the service's process with SIGKILL and waits for it to end.
func (c *temporalCluster) kill9(service string) {
	c.mu.Lock()
	p := c.procs[service]
	c.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (c *temporalCluster) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
	}
	for _, p := range c.procs {
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// lowFreePort is a free port below 32768: Temporal's PostgreSQL schema keeps membership ports in a
// smallint, and the kernel hands out ports for bind(:0) above 32767, so none of those takes it meanwhile.
func lowFreePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 10000 + mrand.IntN(32768-10000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = l.Close()
		return port
	}
	t.Fatal("no free port below 32768")
	return 0
}

// TestDrillCluster runs dsrflow on a Temporal cluster whose frontend, history, matching and worker
// services are four processes on PostgreSQL with several history shards, with two production workers
// and two front doors behind one address. While the requests fan out, the history process is killed with
// SIGKILL and restarted, then the matching process. Every request completes and every connector job acts
// once; the line gives the time from each restart until the requests progress again, and until all are
// closed. The full form makes 200 requests, the short one 40.
func TestDrillCluster(t *testing.T) {
	n := 200
	if short {
		n = 40
	}
	const down = 2 * time.Second // how long a killed process stays down before its restart
	worker, starter := binaries(t)
	pg := newPGCluster(t)
	ctx := context.Background()
	dir := t.TempDir()

	logs := &lockedWriter{w: &strings.Builder{}}
	start := func(name string, c *exec.Cmd) *exec.Cmd {
		c.Stdout, c.Stderr = logs, logs
		if err := c.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Process.Signal(syscall.SIGINT); _ = c.Wait() })
		return c
	}
	began := time.Now()
	tc := startTemporalCluster(t, pg.url, dir, logs)

	seedDemo(t, dir, n)
	d, err := demo.Start(ctx, filepath.Join(dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	doorA, doorB, front := freeAddr(), freeAddr(), freeAddr()
	startBalancer(t, front, doorA, doorB)
	pe := newProdEnv(t, dir, tc.frontend, pg.url, d, "DSR_PUBLIC_URL=http://"+front)
	if out, err := pe.command(starter, "migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	// The administrator's step, retried while the cluster's services find each other.
	var setupOut []byte
	waitFor(t, func() bool {
		setupOut, err = pe.command(starter, "temporal", "setup").CombinedOutput()
		if err != nil {
			time.Sleep(time.Second)
		}
		return err == nil
	})
	clusterUp := time.Since(began)
	tok, err := pe.command(starter, "token", "create", "--role", "agent", "--name", "drill").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	token := strings.TrimSpace(string(tok))
	start("worker 1", pe.command(worker))
	start("worker 2", pe.command(worker))
	start("front door A", pe.with("DSR_HTTP_ADDR="+doorA).command(starter, "serve"))
	start("front door B", pe.with("DSR_HTTP_ADDR="+doorB).command(starter, "serve"))
	client := &http.Client{Timeout: 30 * time.Second}
	lb := api{url: "http://" + front, token: token, http: client}
	for _, door := range []string{doorA, doorB} {
		a := api{url: "http://" + door, token: token, http: client}
		waitFor(t, func() bool {
			st, _, err := a.call(ctx, "GET", "/readyz", nil)
			return err == nil && st == http.StatusOK
		})
	}

	st, err := store.OpenPostgres(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// progress counts what moves only while Temporal works: jobs that acted and requests closed.
	progress := func() (acted, closed int) {
		byJob, _ := d.Effects()
		rows, _ := st.ListRequests(ctx, store.RequestFilter{Closed: true, Limit: 1000})
		return len(byJob), len(rows)
	}

	// The load: n restrictions through the balancer, 16 at a time.
	var (
		mu       sync.Mutex
		ids      []string
		problems []string
		wg       sync.WaitGroup
		slots    = make(chan struct{}, 16)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			stc, body, err := lb.call(ctx, "POST", "/api/v1/requests", web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: drillSubject(i), Attest: "fault drill"})
			var out struct{ ID string }
			_ = json.Unmarshal(body, &out)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || stc != http.StatusCreated || out.ID == "" {
				problems = append(problems, fmt.Sprintf("subject %d: POST answered %d %v", i, stc, err))
				return
			}
			ids = append(ids, out.ID)
		}()
	}
	wg.Wait()
	want := len(ids) * len(expectedJobs(""))

	// kill9 kills a service's process once at least after jobs have acted, restarts it after `down`, and
	// returns how many jobs had acted at the kill and the time from the restart until progress resumes
	// (-1 when everything was already done).
	kill9 := func(service string, after int) (int, time.Duration) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for {
			acted, _ := progress()
			if acted >= after {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d jobs acted after 5 minutes; logs:\n%s", acted, want, logs.w)
			}
			time.Sleep(20 * time.Millisecond)
		}
		tc.kill9(service)
		atKill, _ := progress()
		time.Sleep(down)
		tc.start(service)
		restarted := time.Now()
		tc.waitUp(service)
		acted0, closed0 := progress()
		if closed0 == len(ids) {
			return atKill, -1
		}
		deadline = time.Now().Add(5 * time.Minute)
		for {
			acted, closed := progress()
			if acted > acted0 || closed > closed0 {
				return atKill, time.Since(restarted)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no progress 5 minutes after temporal %s restarted; logs:\n%s", service, logs.w)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	historyAt, historyResume := kill9("history", want/4)
	matchingAt, matchingResume := kill9("matching", want/2)
	matchingRestart := time.Now()

	views := lb.waitClosed(t, ids, 10*time.Minute)
	allClosed := time.Since(matchingRestart)
	byJob, err := d.Effects()
	if err != nil {
		t.Fatal(err)
	}
	completed, lost, dup, more := account(ids, views, byJob)
	problems = append(problems, more...)
	rows, err := st.ListRequests(ctx, store.RequestFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ClosedAt == nil {
			problems = append(problems, fmt.Sprintf("%s is still open in the index: %s", r.ID, r.Status))
		}
	}
	if len(rows) != len(ids) {
		problems = append(problems, fmt.Sprintf("the index holds %d requests, %d got a 201", len(rows), len(ids)))
	}

	secs := func(d time.Duration) string {
		if d < 0 {
			return "done" // nothing was left to progress
		}
		return fmt.Sprintf("%.1f", d.Seconds())
	}
	reportMore("cluster", len(ids), completed, n-completed+lost, dup,
		fmt.Sprintf(" history_resumed_s=%s matching_resumed_s=%s all_closed_s=%.1f", secs(historyResume), secs(matchingResume), allClosed.Seconds()),
		fmt.Sprintf("temporal frontend, history, matching and worker as 4 processes on PostgreSQL, %d history shards, up in %.1f s; %d jobs; history killed after %d had acted, matching after %d, each restarted %s later on its ports; times from each restart; %.1f s in all",
			clusterShards, clusterUp.Seconds(), want, historyAt, matchingAt, down, time.Since(began).Seconds()))
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%d problems: %v\nsetup: %s\nlogs:\n%s", len(problems), problems[:min(10, len(problems))], setupOut, logs.w)
	}
}
