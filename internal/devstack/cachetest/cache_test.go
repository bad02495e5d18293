// Package cachetest checks the worker's workflow cache in a process of its own: the SDK keeps one cache
// per process, made when the first worker starts, so the dev stack package's other tests would decide
// its size.
package cachetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// DSR_WORKFLOW_CACHE bounds the workflows the worker keeps in memory, although the embedded server's
// own workers make the process's cache first; a request evicted from it long ago still completes when
// its code comes.
func TestWorkflowCacheIsBounded(t *testing.T) {
	const size = 5
	cfg, err := config.LoadDev(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.TemporalAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.WorkflowCache = size
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	}()
	call := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, s.URL()+path, rd)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	status := func(id string) string {
		_, data := call("GET", "/api/v1/requests/"+id, nil)
		var v web.RequestView
		_ = json.Unmarshal(data, &v)
		return v.Status
	}

	var ids []string
	for i := range 3 * size {
		code, data := call("POST", "/api/v1/requests", web.NewRequest{Type: "access", Email: fmt.Sprintf("idle-%02d@example.com", i)})
		var out map[string]string
		if err := json.Unmarshal(data, &out); code != http.StatusCreated || err != nil {
			t.Fatalf("create: %d %s", code, data)
		}
		ids = append(ids, out["id"])
	}
	for _, id := range ids {
		waitFor(id+" verifying", func() bool { return status(id) == "verifying" })
	}
	_, body := call("GET", "/metrics", nil)
	cached := -1
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "temporal_sticky_cache_size{") {
			n, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			cached = int(n)
		}
	}
	if cached < 0 || cached > size {
		t.Fatalf("%d workflows cached with DSR_WORKFLOW_CACHE=%d (-1: no temporal_sticky_cache_size in /metrics)", cached, size)
	}

	first := ids[0] // long evicted: rebuilt from its history
	var code string
	waitFor("the code mail", func() bool {
		msgs, _ := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: first})
		for _, m := range msgs {
			if mm := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(m.Body); m.Kind == "verification_code" && mm != nil {
				code = mm[1]
				return true
			}
		}
		return false
	})
	if st, data := call("POST", "/api/v1/requests/"+first+"/verify", map[string]string{"code": code}); st != http.StatusOK {
		t.Fatalf("verify: %d %s", st, data)
	}
	waitFor(first+" completed", func() bool { return status(first) == "completed" })
}
