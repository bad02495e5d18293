//go:build drills

package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestDrillReplicas runs dsrflow as a platform team would: a Temporal server in its own process with its
// state in PostgreSQL, two production `worker`s and two `starter serve` front doors behind one address, on
// the same PostgreSQL. Single requests go to either door; each same-subject pair goes to both doors at the
// same moment. Mid fan-out one worker and one front door are killed with SIGKILL. Every request that got
// a 201 completes, every connector job acts once, and no pair made two requests. The full form makes 100
// requests: 80 singles and 20 pairs (120 POSTs).
func TestDrillReplicas(t *testing.T) {
	singles, pairs := 80, 20
	if short {
		singles, pairs = 14, 6
	}
	subjects := singles + pairs
	worker, starter := binaries(t)
	pg := newPGCluster(t)
	ctx := context.Background()
	dir := t.TempDir()

	var logs lockedWriter
	logs.w = &strings.Builder{}
	start := func(name string, c *exec.Cmd) *exec.Cmd {
		c.Stdout, c.Stderr = &logs, &logs
		if err := c.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Process.Signal(syscall.SIGINT); _ = c.Wait() })
		return c
	}

	temporalAddr := freeAddr()
	start("temporal", exec.Command(temporalServerBin(t), "-postgres", pg.url, "-addr", temporalAddr, "-log", filepath.Join(dir, "temporal.log")))
	waitFor(t, func() bool {
		c, err := net.DialTimeout("tcp", temporalAddr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	seedDemo(t, dir, subjects)
	d, err := demo.Start(ctx, filepath.Join(dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	doorA, doorB, front := freeAddr(), freeAddr(), freeAddr()
	startBalancer(t, front, doorA, doorB)
	pe := newProdEnv(t, dir, temporalAddr, pg.url, d, "DSR_PUBLIC_URL=http://"+front)
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
	token := strings.TrimSpace(string(tok))
	worker1 := start("worker 1", pe.command(worker))
	start("worker 2", pe.command(worker))
	frontA := start("front door A", pe.with("DSR_HTTP_ADDR="+doorA).command(starter, "serve"))
	start("front door B", pe.with("DSR_HTTP_ADDR="+doorB).command(starter, "serve"))
	client := &http.Client{Timeout: 30 * time.Second}
	a := api{url: "http://" + doorA, token: token, http: client}
	b := api{url: "http://" + doorB, token: token, http: client}
	lb := api{url: "http://" + front, token: token, http: client}
	for _, door := range []api{a, b} {
		waitFor(t, func() bool {
			st, _, err := door.call(ctx, "GET", "/readyz", nil)
			return err == nil && st == http.StatusOK
		})
	}

	// Singles alternate between the doors; a pair's two POSTs leave together, one to each door.
	type answer struct {
		subject        int
		status         int
		id, existingID string
	}
	var (
		mu      sync.Mutex
		answers []answer
		wg      sync.WaitGroup
		slots   = make(chan struct{}, 16)
	)
	post := func(door api, subject int, ready <-chan struct{}) {
		defer wg.Done()
		<-ready
		slots <- struct{}{}
		defer func() { <-slots }()
		in := web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: drillSubject(subject), Attest: "fault drill"}
		st, body, err := door.call(ctx, "POST", "/api/v1/requests", in)
		var out struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		}
		_ = json.Unmarshal(body, &out)
		if err != nil {
			st = 0
		}
		mu.Lock()
		answers = append(answers, answer{subject: subject, status: st, id: out.ID, existingID: out.Fields["existing_id"]})
		mu.Unlock()
	}
	now := make(chan struct{})
	close(now)
	for i := range singles {
		wg.Add(1)
		go post([]api{a, b}[i%2], i, now)
	}
	for j := range pairs {
		together := make(chan struct{})
		wg.Add(2)
		go post(a, singles+j, together)
		go post(b, singles+j, together)
		close(together)
	}
	wg.Wait()

	// Every subject has exactly one request; a pair's loser is told the winner's id.
	var ids []string
	duplicateRequests, problems := 0, []string{}
	bySubject := map[int][]answer{}
	for _, an := range answers {
		bySubject[an.subject] = append(bySubject[an.subject], an)
	}
	for s := range subjects {
		var created []string
		var conflicts []answer
		for _, an := range bySubject[s] {
			switch an.status {
			case http.StatusCreated:
				created = append(created, an.id)
			case http.StatusConflict:
				conflicts = append(conflicts, an)
			default:
				problems = append(problems, fmt.Sprintf("subject %d: POST answered %d", s, an.status))
			}
		}
		if len(created) > 1 {
			duplicateRequests += len(created) - 1
		}
		for _, c := range conflicts {
			if len(created) != 1 || c.existingID != created[0] {
				problems = append(problems, fmt.Sprintf("subject %d: 409 names %q, created %v", s, c.existingID, created))
			}
		}
		ids = append(ids, created...)
	}

	want := len(ids) * len(expectedJobs(""))
	waitFor(t, func() bool {
		byJob, _ := d.Effects()
		return len(byJob) >= want/4
	})
	atKill, _ := d.Effects()
	_ = worker1.Process.Signal(syscall.SIGKILL)
	_ = frontA.Process.Signal(syscall.SIGKILL)
	killed := time.Now()

	views := lb.waitClosed(t, ids, 10*time.Minute)
	recovered := time.Since(killed)
	byJob, err := d.Effects()
	if err != nil {
		t.Fatal(err)
	}
	completed, lost, dup, more := account(ids, views, byJob)
	problems = append(problems, more...)

	// The index agrees: one request per subject, none left open.
	st, err := store.OpenPostgres(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.ListRequests(ctx, store.RequestFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	perKey := map[string]int{}
	for _, r := range rows {
		perKey[r.SubjectKey+"/"+string(r.Type)]++
		if r.ClosedAt == nil {
			problems = append(problems, fmt.Sprintf("%s is still open in the index: %s", r.ID, r.Status))
		}
	}
	for _, c := range perKey {
		if c > 1 {
			duplicateRequests += c - 1
		}
	}
	if len(rows) != len(ids) {
		problems = append(problems, fmt.Sprintf("the index holds %d requests, %d got a 201", len(rows), len(ids)))
	}

	reportMore("replicas", len(ids), completed, len(ids)-completed+lost, dup, fmt.Sprintf(" duplicate_requests=%d", duplicateRequests),
		fmt.Sprintf("%d POSTs for %d subjects, %d pairs to both doors at once; worker 1 and front door A killed after %d of %d jobs acted; all closed %.1f s after the kill",
			len(answers), subjects, pairs, len(atKill), want, recovered.Seconds()))
	if duplicateRequests > 0 || len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%d duplicate requests, %d problems: %v\nlogs:\n%s", duplicateRequests, len(problems), problems[:min(10, len(problems))], logs.w)
	}
}

// startBalancer serves addr as a load balancer in front of the doors: each request goes to the next door
// in turn, and to the other when that one does not accept connections (a killed front door).
func startBalancer(t *testing.T, addr string, doors ...string) {
	t.Helper()
	var next atomic.Uint64
	proxies := make([]*httputil.ReverseProxy, len(doors))
	for i, door := range doors {
		proxies[i] = httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: door})
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := int(next.Add(1))
		for k := range doors {
			i := (first + k) % len(doors)
			c, err := net.DialTimeout("tcp", doors[i], time.Second)
			if err != nil {
				continue
			}
			c.Close()
			proxies[i].ServeHTTP(w, r)
			return
		}
		http.Error(w, "no front door answers", http.StatusBadGateway)
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
}
