package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow"
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
	// The front door answers once a workflow has started; its first steps run after. Sample once every
	// request is parked (its code mailed: the status is verifying from the write before the mail) and
	// the process has gone quiet, not while it still works through the backlog.
	parked, err := waitParked(ctx, a, n, cmd.Process.Pid, progress)
	if err != nil {
		return nil, err
	}
	// The Go runtime returns the memory of the backlog's garbage to the system gradually: sample once
	// the resident set has held within 2% for 30 s (or after 3 minutes).
	settled, err := waitSettled(cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("parked and quiet after %.0f s, resident set settled %.0f s later", parked.Seconds(), settled.Seconds()))
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
		Note: fmt.Sprintf("VmRSS of the worker --dev process (embedded Temporal, store, worker, front door, demo) holding %d requests waiting for verification, once parked and quiet (%.0f s after the last start) and settled, 5 samples 2 s apart; %.0f MB before; target under 400", n, parked.Seconds(), startRSS)}}, nil
}

// waitParked waits until n requests are verifying and then until the process uses under a tenth of a
// core over 2 s; it returns how long that took.
func waitParked(ctx context.Context, a *api, n, pid int, progress func(string)) (time.Duration, error) {
	began := time.Now()
	deadline := began.Add(15 * time.Minute)
	if err := waitVerifying(ctx, a, n); err != nil {
		return 0, err
	}
	progress(fmt.Sprintf("all %d verifying after %.0f s", n, time.Since(began).Seconds()))
	last, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	for {
		time.Sleep(2 * time.Second)
		now, err := cpuTicks(pid)
		if err != nil {
			return 0, err
		}
		// 100 ticks a second (USER_HZ): under 20 in 2 s is under a tenth of a core.
		if now-last < 20 {
			return time.Since(began), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the worker never went quiet: %d ticks in 2 s", now-last)
		}
		last = now
	}
}

// waitSettled samples the resident set every 5 s until six samples in a row lie within 2% of each
// other, for at most 3 minutes; it returns how long that took.
func waitSettled(pid int) (time.Duration, error) {
	began := time.Now()
	var window []float64
	for time.Since(began) < 3*time.Minute {
		mb, err := rssMB(pid)
		if err != nil {
			return 0, err
		}
		window = append(window, mb)
		if len(window) > 6 {
			window = window[1:]
		}
		if len(window) == 6 && slices.Max(window)-slices.Min(window) < 0.02*slices.Min(window) {
			break
		}
		time.Sleep(5 * time.Second)
	}
	return time.Since(began), nil
}

// waitVerifying waits, at most 15 minutes, until n requests are verifying: their code is mailed.
func waitVerifying(ctx context.Context, a *api, n int) error {
	for began := time.Now(); ; time.Sleep(2 * time.Second) {
		waiting, err := verifying(ctx, a)
		if err != nil {
			return err
		}
		if waiting >= n {
			return nil
		}
		if time.Since(began) > 15*time.Minute {
			return fmt.Errorf("only %d of %d requests reached verifying in 15 minutes", waiting, n)
		}
	}
}

// verifying is the number of open requests in verifying, from the dashboard API.
func verifying(ctx context.Context, a *api) (int, error) {
	status, body, err := a.do(ctx, "GET", "/api/v1/dashboard", nil)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("dashboard: %d %s", status, body)
	}
	var d dsrflow.Dashboard
	if err := json.Unmarshal(body, &d); err != nil {
		return 0, err
	}
	for _, c := range d.OpenByStatus {
		if c.Status == "verifying" {
			return int(c.Count), nil
		}
	}
	return 0, nil
}

// cpuTicks is the process's user and system time in clock ticks, from /proc/PID/stat.
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields count from after its closing parenthesis.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return utime + stime, nil
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
