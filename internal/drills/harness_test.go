//go:build drills

package drills

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/web"
)

// short is the form `.ci/run` uses: fewer requests, same checks.
var short = os.Getenv("DRILL_SHORT") != ""

// report prints a drill's accounting line on stdout, where `make drills` picks it up.
func report(name string, requests, completed, lost, duplicates int, extra string) {
	reportMore(name, requests, completed, lost, duplicates, "", extra)
}

// reportMore is report with more counters after the common ones (" phantoms=0").
func reportMore(name string, requests, completed, lost, duplicates int, more, extra string) {
	line := fmt.Sprintf("drill %s: requests=%d completed=%d lost=%d duplicate_effects=%d%s", name, requests, completed, lost, duplicates, more)
	if extra != "" {
		line += " (" + extra + ")"
	}
	fmt.Println(line)
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds worker and starter once per run, as a user would: the drill kills real processes.
// dsrflow-admin goes beside starter: starter hands `demo effects` (and the other server commands) to it.
func binaries(t *testing.T) (worker, starter string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "dsrflow-drills-bin")
		if buildErr != nil {
			return
		}
		// The go command that runs these tests: GOROOT as the go command reports it, else PATH's.
		goBin := "go"
		if root, err := exec.Command("go", "env", "GOROOT").Output(); err == nil && len(bytes.TrimSpace(root)) > 0 {
			goBin = filepath.Join(string(bytes.TrimSpace(root)), "bin", "go")
		}
		cmd := exec.Command(goBin, "build", "-o", binDir+"/", "github.com/dsrflow/dsrflow/worker", "github.com/dsrflow/dsrflow/starter",
			"github.com/dsrflow/dsrflow/starter/dsrflow-admin", "github.com/dsrflow/dsrflow/internal/devserver/cmd/devserver")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "worker"), filepath.Join(binDir, "starter")
}

// temporalServerBin is the embedded Temporal server as a program of its own (internal/devserver/cmd).
func temporalServerBin(t *testing.T) string {
	binaries(t)
	return filepath.Join(binDir, "devserver")
}

func freeAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
}

// devProcess is one `worker --dev` process on a data directory.
type devProcess struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	done chan struct{}
}

// devEnv is the environment of a dev stack on dataDir with fixed addresses, so that a restarted process
// answers the callbacks addressed to the one it replaces.
type devEnv struct {
	DataDir, TemporalAddr, HTTPAddr string
}

func newDevEnv(t *testing.T) devEnv {
	return devEnv{DataDir: t.TempDir(), TemporalAddr: freeAddr(), HTTPAddr: freeAddr()}
}

func (e devEnv) environ() []string {
	return append(os.Environ(), "DSR_DATA_DIR="+e.DataDir, "DSR_TEMPORAL_ADDR="+e.TemporalAddr, "DSR_HTTP_ADDR="+e.HTTPAddr, "DSR_LOG_LEVEL=warn")
}

// startDev starts `worker --dev` and waits until /readyz answers 200.
func startDev(t *testing.T, e devEnv) *devProcess {
	t.Helper()
	worker, _ := binaries(t)
	p := &devProcess{url: "http://" + e.HTTPAddr, logs: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(worker, "--dev")
	p.cmd.Env = e.environ()
	p.cmd.Stdout, p.cmd.Stderr = &lockedWriter{w: p.logs}, &lockedWriter{w: p.logs}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("worker --dev exited during start:\n%s", p.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker --dev not ready after 90 s:\n%s", p.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill sends sig and waits for the process to end.
func (p *devProcess) kill(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// api calls a front door with a token.
type api struct {
	url, token string
	http       *http.Client
}

func devAPI(t *testing.T, e devEnv) api {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(e.DataDir, "dev-token"))
	if err != nil {
		t.Fatal(err)
	}
	return api{url: "http://" + e.HTTPAddr, token: strings.TrimSpace(string(tok)), http: &http.Client{Timeout: 30 * time.Second}}
}

func (a api) call(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.url+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (a api) create(t *testing.T, in web.NewRequest) string {
	t.Helper()
	status, data, err := a.call(context.Background(), "POST", "/api/v1/requests", in)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create %s: %d %s %v", in.Type, status, data, err)
	}
	var out map[string]string
	_ = json.Unmarshal(data, &out)
	return out["id"]
}

// show returns a request, or ok=false while the front door cannot answer (the process is down).
func (a api) show(id string) (web.RequestView, bool) {
	status, data, err := a.call(context.Background(), "GET", "/api/v1/requests/"+id, nil)
	if err != nil || status != http.StatusOK {
		return web.RequestView{}, false
	}
	var v web.RequestView
	return v, json.Unmarshal(data, &v) == nil
}

// waitClosed polls the requests until every one is closed or the time is up; it returns the views.
func (a api) waitClosed(t *testing.T, ids []string, within time.Duration) map[string]web.RequestView {
	views := map[string]web.RequestView{}
	deadline := time.Now().Add(within)
	lastLog := time.Now()
	for time.Now().Before(deadline) {
		open := 0
		for _, id := range ids {
			if v, ok := views[id]; ok && v.Closed != nil {
				continue
			}
			v, ok := a.show(id)
			if ok {
				views[id] = v
			}
			if !ok || v.Closed == nil {
				open++
			}
		}
		if open == 0 {
			break
		}
		if time.Since(lastLog) > 15*time.Second {
			lastLog = time.Now()
			t.Logf("%d of %d requests still open", open, len(ids))
		}
		time.Sleep(500 * time.Millisecond)
	}
	return views
}

// effects runs `starter demo effects --json` on the data directory, as an operator would.
func effects(t *testing.T, e devEnv) map[string]int {
	t.Helper()
	_, starter := binaries(t)
	cmd := exec.Command(starter, "demo", "effects", "--json")
	cmd.Env = e.environ()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("starter demo effects: %v", err)
	}
	var got struct {
		ByJob map[string]int `json:"by_job"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("starter demo effects: %v: %s", err, out)
	}
	return got.ByJob
}

// account is a drill's accounting: requests completed, jobs that never acted (lost) and jobs that acted
// more than once (duplicates), by the demo connectors' effect counts per job, with a line per problem.
func account(ids []string, views map[string]web.RequestView, effects map[string]int) (completed, lost, dup int, problems []string) {
	for _, id := range ids {
		if v := views[id]; v.Status == "completed" {
			completed++
		} else {
			problems = append(problems, fmt.Sprintf("%s is %q", id, v.Status))
		}
		for _, job := range expectedJobs(id) {
			switch c := effects[job]; {
			case c == 0:
				lost++
				problems = append(problems, job+" never acted")
			case c > 1:
				dup++
				problems = append(problems, fmt.Sprintf("%s acted %d times", job, c))
			}
		}
	}
	return completed, lost, dup, problems
}
