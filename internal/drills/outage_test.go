//go:build drills

package drills

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestDrillConnectorOutage takes one demo connector down (every submission answered 503, as a failing
// load balancer would) while a batch of restrictions fans out, then brings it back. Its jobs complete
// after it recovers; the other subsidiaries finish while it is still down; nothing acts twice.
// Escalation when an outage outlasts the margin to the due date (days, not seconds) is covered with
// skipped time by workflows' TestConnectorFailures.
func TestDrillConnectorOutage(t *testing.T) {
	n, outage := 20, 30*time.Second
	if short {
		n, outage = 5, 10*time.Second
	}
	const down = "forum"
	ctx := context.Background()
	dataDir := t.TempDir()
	seedDemo(t, dataDir, n)
	s, err := devstack.Start(ctx, devstack.Options{Config: config.Dev{DataDir: dataDir, TemporalAddr: freeAddr(), HTTPAddr: "127.0.0.1:0", Demo: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	a := api{url: s.URL(), token: s.Token, http: &http.Client{Timeout: 30 * time.Second}}

	s.Demo.Fail(down, http.StatusServiceUnavailable, 1<<30)
	began := time.Now()
	ids := make([]string, n)
	for i := range n {
		ids[i] = a.create(t, web.NewRequest{Type: "restriction", Ground: "legal_claims", Email: drillSubject(i), Attest: "fault drill"})
	}
	// While it is down, every other subsidiary must finish its jobs.
	others := 0
	for time.Since(began) < outage {
		byJob, err := s.Demo.Effects()
		if err != nil {
			t.Fatal(err)
		}
		others = 0
		for job, c := range byJob {
			if strings.HasSuffix(job, ":restrict") && !strings.Contains(job, ":"+down+":") {
				others += c
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Demo.Fail(down, 0, 0)
	recovered := time.Now()
	views := a.waitClosed(t, ids, 5*time.Minute)
	byJob, err := s.Demo.Effects()
	if err != nil {
		t.Fatal(err)
	}

	completed, lost, dup, retried := 0, 0, 0, 0
	var problems []string
	for _, id := range ids {
		v := views[id]
		if v.Status == "completed" {
			completed++
		} else {
			problems = append(problems, fmt.Sprintf("%s is %q", id, v.Status))
		}
		for _, j := range v.Jobs {
			if j.Connector == down && j.Status == "completed" && j.Attempts > 1 {
				retried++
			}
		}
		for _, job := range expectedJobs(id) {
			switch c := byJob[job]; {
			case c == 0:
				lost++
				problems = append(problems, job+" never acted")
			case c > 1:
				dup++
				problems = append(problems, fmt.Sprintf("%s acted %d times", job, c))
			}
		}
	}
	if want := n * (len(restricting) - 1); others != want {
		problems = append(problems, fmt.Sprintf("only %d of %d other subsidiaries' jobs acted during the %s outage", others, want, outage))
	}
	if retried != n {
		problems = append(problems, fmt.Sprintf("%d of %d %s jobs completed after a retry", retried, n, down))
	}
	report("connector_outage", n, completed, n-completed+lost, dup,
		fmt.Sprintf("%s answered 503 for %s; the %d other subsidiaries' jobs all acted during it; its own jobs completed %.1f s after it recovered", down, outage, others, time.Since(recovered).Seconds()))
	if len(problems) > 0 {
		t.Fatalf("%d problems: %v", len(problems), problems[:min(10, len(problems))])
	}
}
