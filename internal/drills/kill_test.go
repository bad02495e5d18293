//go:build drills

package drills

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

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
		ids[i] = a.create(t, web.NewRequest{Type: "restriction", Email: drillSubject(i), Attest: "fault drill"})
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
	p.kill(syscall.SIGINT)

	completed, lost, dup, problems := account(ids, views, got)
	report("kill9", n, completed, n-completed+lost, dup,
		fmt.Sprintf("%d jobs, %d of them acted before SIGKILL; all closed %.1f s after the kill, %.1f s in all", want, before, recovered.Seconds(), time.Since(began).Seconds()))
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%d problems, first: %v", len(problems), problems[:min(10, len(problems))])
	}
}
