package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/web"
)

// idleRSS starts `worker --dev` as its own process, so that its resident set is the product's alone
// (not the load generator's), starts n requests that then wait for the subject's code, and samples the
// process's VmRSS once the workflows are parked.
func idleRSS(ctx context.Context, worker string, n int, progress func(string)) ([]Figure, error) {
	dir, err := os.MkdirTemp("", "dsrflow-bench-rss")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	httpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	cmd := exec.Command(worker, "--dev")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "DSR_DATA_DIR="+dir, "DSR_HTTP_ADDR="+httpAddr, "DSR_LOG_LEVEL=error",
		"DSR_TEMPORAL_ADDR="+net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort())))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()
	url := "http://" + httpAddr
	for deadline := time.Now().Add(90 * time.Second); ; {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("worker --dev not ready: %s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "dev-token"))
	if err != nil {
		return nil, err
	}
	a := newAPI(url, strings.TrimSpace(string(tok)))
	startRSS, err := rssMB(cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if _, err := closedLoop(ctx, n, 16, func(ctx context.Context, i int) error {
		_, err := a.create(ctx, web.NewRequest{Type: "access", Email: fmt.Sprintf("idle-%07d@example.com", i)})
		return err
	}); err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("started %d requests in %.0f s; idle RSS before them %.0f MB", n, time.Since(began).Seconds(), startRSS))
	// Let every workflow reach its wait (code issued, timers set), then sample.
	time.Sleep(20 * time.Second)
	var samples []float64
	for range 5 {
		mb, err := rssMB(cmd.Process.Pid)
		if err != nil {
			return nil, err
		}
		samples = append(samples, mb)
		time.Sleep(2 * time.Second)
	}
	return []Figure{{Name: fmt.Sprintf("rss_mb_%dk_waiting", n/1000), Rounds: samples,
		Note: fmt.Sprintf("VmRSS of the worker --dev process (embedded Temporal, store, worker, front door, demo) holding %d requests waiting for verification, 5 samples 2 s apart; %.0f MB before; target under 400", n, startRSS)}}, nil
}

func rssMB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
