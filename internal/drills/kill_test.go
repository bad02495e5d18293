//go:build drills

package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/web"
)

// The demo subsidiaries that restrict processing, and the partner told of each restriction (Art. 19).
var (
	restricting = []string{"analytics", "billing", "crm", "forum", "recruiting", "webinars"}
	partner     = "adpartner"
)

// drillSubject is a synthetic subject of the drills: no real person's data.
func drillSubject(i int) string { return fmt.Sprintf("drill-%03d@example.com", i) }

// seedDemo writes the demo subsidiaries' state before their first start: n synthetic subjects known to
// every subsidiary, so that each restriction changes data once in each (and so leaves one effect line).
func seedDemo(t *testing.T, dataDir string, n int) {
	t.Helper()
	dir := filepath.Join(dataDir, "demo")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, id := range restricting {
		var subjects []map[string]string
		for i := range n {
			subjects = append(subjects, map[string]string{"key": fmt.Sprintf("%s-%03d", id, i), "email": drillSubject(i)})
		}
		data, _ := json.Marshal(map[string]any{"subjects": subjects, "rows": []any{}})
		if err := os.WriteFile(filepath.Join(dir, id+".json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// expectedJobs are the jobs a restriction request runs: one per subsidiary and the partner's notice.
func expectedJobs(requestID string) []string {
	var out []string
	for _, c := range restricting {
		out = append(out, requestID+":"+c+":restrict")
	}
	return append(out, requestID+":"+partner+":notify")
}

// TestDrillKill9 kills `worker --dev` with SIGKILL while a batch of requests fans out, restarts it on
// the same data directory, and checks that every request completes and every connector applied each
// job's effect exactly once.
func TestDrillKill9(t *testing.T) {
	n := 50
	if short {
		n = 10
	}
	env := newDevEnv(t)
	seedDemo(t, env.DataDir, n)
	p := startDev(t, env)
	a := devAPI(t, env)

	began := time.Now()
	ids := make([]string, n)
	for i := range n {
		ids[i] = a.create(t, web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: drillSubject(i), Attest: "fault drill"})
	}
	// Kill once some jobs have acted and others have not: mid fan-out.
	want := n * len(expectedJobs(""))
	killAt := want / 4
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := 0
		for _, c := range effects(t, env) {
			got += c
		}
		if got >= killAt {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d effects after 2 minutes; logs:\n%s", got, want, p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := 0
	for _, c := range effects(t, env) {
		before += c
	}
	p.kill(syscall.SIGKILL)
	killed := time.Now()
	t.Logf("killed after %d of %d effects", before, want)

	p = startDev(t, env)
	views := a.waitClosed(t, ids, 15*time.Minute)
	recovered := time.Since(killed)
	got := effects(t, env)

	completed, lost, dup, problems := account(ids, views, got)

	// The intake crash: SIGKILL within a second of a burst of POSTs, then restart.
	burst := 20
	if short {
		burst = 8
	}
	in := intakeCrash(t, env, p, n, burst)
	p = in.process
	p.kill(syscall.SIGINT)
	problems = append(problems, in.problems...)
	reportMore("kill9", n+len(in.created), completed+in.completed, n-completed+lost+len(in.created)-in.completed, dup,
		fmt.Sprintf(" phantoms=%d", in.phantoms),
		fmt.Sprintf("%d jobs, %d of them acted before SIGKILL; all closed %.1f s after the kill, %.1f s in all; intake crash: %d POSTs, %d answered 201 before SIGKILL %s after the burst began, %d rows after restart; %d of the 201s had not started, the last started %.1f s after the restart; all closed %.1f s after it",
			want, before, recovered.Seconds(), time.Since(began).Seconds(), burst, len(in.created), in.killAfter.Round(time.Millisecond), in.rows, in.resumed, in.startedIn.Seconds(), in.settled.Seconds()))
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%d problems, first: %v", len(problems), problems[:min(10, len(problems))])
	}
}

// intakeResult is the accounting of an intake crash.
type intakeResult struct {
	process *devProcess
	// created are the requests that got a 201 before the kill; completed how many of them completed.
	created   []string
	completed int
	// rows is how many requests of the burst's subjects the index holds after the restart; phantoms how
	// many of those are still open when the recovery time is up.
	rows, phantoms int
	killAfter      time.Duration
	settled        time.Duration
	// resumed is how many of created had no workflow step recorded before the restart (their intake was
	// cut between the row and the start), startedIn when the last of them took its first step after it.
	resumed   int
	startedIn time.Duration
	problems  []string
}

// intakeCrash sends a burst of POSTs for new subjects (first, first+1, ...) and kills the process with
// SIGKILL within a second, while some are between the index row and the workflow's start, then restarts
// it. Every request that got a 201 must complete, every request the index holds must be carried on or
// closed within the recovery time, and each subject can then ask again (a closed phantom blocks nobody).
func intakeCrash(t *testing.T, env devEnv, p *devProcess, first, burst int) intakeResult {
	t.Helper()
	a := devAPI(t, env)
	ctx := context.Background()
	var (
		res intakeResult
		mu  sync.Mutex
		wg  sync.WaitGroup
	)
	began := time.Now()
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, body, err := a.call(ctx, "POST", "/api/v1/requests", web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: drillSubject(first + i), Attest: "fault drill"})
			var out struct{ ID string }
			if err == nil && st == http.StatusCreated && json.Unmarshal(body, &out) == nil {
				mu.Lock()
				res.created = append(res.created, out.ID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Duration(150+rand.IntN(450)) * time.Millisecond)
	p.kill(syscall.SIGKILL)
	res.killAfter = time.Since(began)
	wg.Wait()

	res.process = startDev(t, env)
	restarted := time.Now()
	views := a.waitClosed(t, res.created, 5*time.Minute)
	for _, id := range res.created {
		if evs := views[id].Events; len(evs) > 0 && !evs[0].Time.Before(restarted) {
			res.resumed++
			first := evs[0].Time
			for _, e := range evs {
				if e.Time.Before(first) {
					first = e.Time
				}
			}
			res.startedIn = max(res.startedIn, first.Sub(restarted))
		}
		if views[id].Status == "completed" {
			res.completed++
		} else {
			res.problems = append(res.problems, fmt.Sprintf("intake crash: %s got a 201 and is %q", id, views[id].Status))
		}
	}
	// Every row of the burst's subjects is closed within the recovery time, however far its intake got.
	subjects := map[string]bool{}
	for i := range burst {
		subjects[drillSubject(first+i)] = true
	}
	var open []string
	deadline := restarted.Add(3 * time.Minute)
	for {
		open, res.rows = nil, 0
		for subject := range subjects {
			for _, r := range listRequests(t, a, "email="+url.QueryEscape(subject)) {
				res.rows++
				if !dsrflow.Status(r.Status).Closed() {
					open = append(open, r.ID+" "+r.Status)
				}
			}
		}
		if len(open) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	res.settled = time.Since(restarted)
	res.phantoms = len(open)
	for _, o := range open {
		res.problems = append(res.problems, "intake crash: still open after the recovery time: "+o)
	}
	// A phantom closed by the recovery blocks nobody: every subject may ask again.
	for subject := range subjects {
		st, body, err := a.call(ctx, "POST", "/api/v1/requests", web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: subject, Attest: "fault drill"})
		if err != nil || st != http.StatusCreated {
			res.problems = append(res.problems, fmt.Sprintf("intake crash: a new request after recovery answered %d %s", st, body))
		}
	}
	return res
}

// listRequests is GET /api/v1/requests with query, as an agent lists them.
func listRequests(t *testing.T, a api, query string) []web.SummaryView {
	t.Helper()
	st, body, err := a.call(context.Background(), "GET", "/api/v1/requests?limit=1000&"+query, nil)
	if err != nil || st != http.StatusOK {
		t.Fatalf("list requests: %d %s %v", st, body, err)
	}
	var out []web.SummaryView
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
