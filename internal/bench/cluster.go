package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/testing/freeport"
)

// ClusterShards is the bench cluster's number of history shards, as in the Cluster drill.
const ClusterShards = 4

// Cluster runs Throughput's realistic request on two stacks in one run, round by round in turn: the
// embedded stack, and the same stack (worker, front door, store, connectors) on a Temporal cluster whose
// frontend, history, matching and worker services are four processes of devserverBin on the PostgreSQL
// server at pgURL. It returns cluster_rps, the embedded figure of the same run and cluster_ratio.
func Cluster(ctx context.Context, connectors, total, inFlight, rounds int, devserverBin, pgURL string, progress func(string)) ([]Figure, error) {
	if devserverBin == "" || pgURL == "" {
		return nil, fmt.Errorf("the cluster figures need -devserver and DSR_TEST_POSTGRES_URL (make bench runs them under scripts/with-postgres.sh)")
	}
	dir, err := os.MkdirTemp("", "dsrflow-bench-cluster")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	frontend, stop, err := startCluster(devserverBin, pgURL, dir)
	if err != nil {
		return nil, err
	}
	defer stop()
	progress("temporal cluster: 4 processes, frontend " + frontend)
	// The cluster's services find each other after they listen; the stack's start waits on the frontend
	// (its setup of search attributes retries until the history service answers).
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	cs, err := startStackOn(startCtx, connectors, frontend)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("stack on the cluster: %w", err)
	}
	defer cs.close()
	es, err := startStack(ctx, connectors)
	if err != nil {
		return nil, err
	}
	defer es.close()
	ca, ea := newAPI(cs.URL(), cs.Token), newAPI(es.URL(), es.Token)
	for _, w := range []struct {
		s *benchStack
		a *api
	}{{cs, ca}, {es, ea}} {
		if _, err := closedLoop(ctx, 20, 10, func(ctx context.Context, i int) error { return w.s.one(ctx, w.a, 1_000_000+i) }); err != nil {
			return nil, err
		}
	}
	var cluster, embedded []float64
	next := 0
	for r := range rounds {
		base := next
		erps, err := closedLoop(ctx, total, inFlight, func(ctx context.Context, i int) error { return es.one(ctx, ea, base+i) })
		if err != nil {
			return nil, err
		}
		crps, err := closedLoop(ctx, total, inFlight, func(ctx context.Context, i int) error { return cs.one(ctx, ca, base+i) })
		if err != nil {
			return nil, fmt.Errorf("on the cluster: %w", err)
		}
		embedded, cluster = append(embedded, erps), append(cluster, crps)
		next += total
		progress(fmt.Sprintf("round %d: embedded %.2f rps, cluster %.2f rps", r+1, erps, crps))
	}
	note := fmt.Sprintf("%d requests per round, %d in flight, %d connectors", total, inFlight, connectors)
	return []Figure{
		{Name: "cluster_rps", Rounds: cluster, Note: note + fmt.Sprintf(": throughput_rps's request on a Temporal cluster of 4 processes (frontend, history, matching, worker) on PostgreSQL, %d history shards", ClusterShards)},
		{Name: "cluster_embedded_rps", Rounds: embedded, Note: "the same request on the embedded server (SQLite, one process), in the same run"},
		{Name: "cluster_ratio", Rounds: ratios(cluster, embedded), Note: "cluster/embedded, round by round"},
	}, nil
}

// startCluster starts the four services as processes of bin and returns the frontend's address and a
// function that stops them.
func startCluster(bin, pgURL, dir string) (string, func(), error) {
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", nil, fmt.Errorf("DSR_TEST_POSTGRES_URL: %w", err)
	}
	u.Path, u.RawQuery = "/", "" // the server's own databases, temporal and temporal_visibility
	frontend := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGINT)
		}
		for _, c := range cmds {
			done := make(chan struct{})
			go func() { _ = c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = c.Process.Kill()
				<-done
			}
		}
	}
	for _, s := range []string{"frontend", "history", "matching", "worker"} {
		log, err := os.Create(filepath.Join(dir, s+".out"))
		if err != nil {
			stop()
			return "", nil, err
		}
		c := exec.Command(bin, "-postgres", u.String(), "-addr", frontend, "-shards", strconv.Itoa(ClusterShards), "-services", s,
			"-log", filepath.Join(dir, "temporal-"+s+".log"))
		c.Stdout, c.Stderr = log, log
		if err := c.Start(); err != nil {
			log.Close()
			stop()
			return "", nil, fmt.Errorf("temporal %s: %w", s, err)
		}
		log.Close()
		cmds = append(cmds, c)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		// The frontend answers its health check once it has found the other services.
		if c, err := client.Dial(client.Options{HostPort: frontend, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}); err == nil {
			c.Close()
			return frontend, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			out, _ := os.ReadFile(filepath.Join(dir, "frontend.out"))
			return "", nil, fmt.Errorf("temporal frontend on %s not healthy after 2 minutes: %s", frontend, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
