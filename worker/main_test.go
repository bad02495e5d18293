package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/app"
)

// syncBuffer lets the test read what the running program writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// freeAddr returns a loopback address whose port the kernel will not hand to another bind(:0) for a
// while (the server's freeport helper leaves it in TIME_WAIT): test packages run in parallel.
func freeAddr(t *testing.T) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
}

func TestDevRunsEverythingAndStopsOnSignal(t *testing.T) {
	httpAddr := freeAddr(t)
	env := map[string]string{"DSR_DATA_DIR": t.TempDir(), "DSR_TEMPORAL_ADDR": freeAddr(t), "DSR_HTTP_ADDR": httpAddr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--dev"}, func(k string) string { return env[k] }, &stdout, io.Discard)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stdout.String(), "http ") {
		select {
		case err := <-done:
			t.Fatalf("worker --dev ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker --dev printed no listen lines: %q", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, part := range []string{"temporal  " + env["DSR_TEMPORAL_ADDR"], "store     sqlite", "worker    task queue", "http      http://" + httpAddr} {
		if !strings.Contains(stdout.String(), part) {
			t.Errorf("start-up lines %q lack %q", stdout.String(), part)
		}
	}
	resp, err := http.Get("http://" + httpAddr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz = %d", resp.StatusCode)
	}

	cancel() // what SIGINT/SIGTERM do through signal.NotifyContext
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker --dev stopped with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("worker --dev did not stop within 5s")
	}
}

func TestProductionConfigurationErrorsStartNothing(t *testing.T) {
	conns := filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(conns, []byte("connectors: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := map[string]string{"TEMPORAL_ADDRESS": "127.0.0.1:1", "DATABASE_URL": "postgres://127.0.0.1:1/x", "DSR_WORKER_ADDR": "off",
		"DSR_HMAC_KEY": strings.Repeat("ab", 32), "DSR_CONNECTORS": conns, "DSR_PUBLIC_URL": "https://dsr.example.com",
		"DSR_SMTP_URL":    "smtp://mail.example.com:587?from=privacy@example.com",
		"DSR_MASTER_KEYS": "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))}
	for _, tc := range []struct {
		name, variable string
		change         map[string]string
	}{
		{"no temporal address", "TEMPORAL_ADDRESS", map[string]string{"TEMPORAL_ADDRESS": ""}},
		{"temporal address without port", "TEMPORAL_ADDRESS", map[string]string{"TEMPORAL_ADDRESS": "temporal"}},
		{"no database", "DATABASE_URL", map[string]string{"DATABASE_URL": ""}},
		{"database not postgres", "DATABASE_URL", map[string]string{"DATABASE_URL": "sqlite:///x.db"}},
		{"certificate without key", "TEMPORAL_TLS_CERT", map[string]string{"TEMPORAL_TLS_CERT": "/nonexistent/cert.pem"}},
		{"bad log level", "DSR_LOG_LEVEL", map[string]string{"DSR_LOG_LEVEL": "verbose"}},
		{"bad health address", "DSR_WORKER_ADDR", map[string]string{"DSR_WORKER_ADDR": "9091"}},
		{"no hmac key", "DSR_HMAC_KEY", map[string]string{"DSR_HMAC_KEY": ""}},
		{"short hmac key", "DSR_HMAC_KEY", map[string]string{"DSR_HMAC_KEY": "abcd"}},
		{"no connectors file", "DSR_CONNECTORS", map[string]string{"DSR_CONNECTORS": ""}},
		{"missing connectors file", "DSR_CONNECTORS", map[string]string{"DSR_CONNECTORS": "/nonexistent/connectors.yaml"}},
		{"no public url", "DSR_PUBLIC_URL", map[string]string{"DSR_PUBLIC_URL": ""}},
		{"relative public url", "DSR_PUBLIC_URL", map[string]string{"DSR_PUBLIC_URL": "dsr.example.com"}},
		{"no master keys", "DSR_MASTER_KEYS", map[string]string{"DSR_MASTER_KEYS": ""}},
		{"short master key", "DSR_MASTER_KEYS", map[string]string{"DSR_MASTER_KEYS": "k1:c2hvcnQ="}},
		{"missing master key file", "DSR_MASTER_KEYS", map[string]string{"DSR_MASTER_KEYS": "file:/nonexistent/keys"}},
		{"no smtp url", "DSR_SMTP_URL", map[string]string{"DSR_SMTP_URL": ""}},
		{"smtp url without sender", "DSR_SMTP_URL", map[string]string{"DSR_SMTP_URL": "smtp://mail.example.com:587"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range valid {
				env[k] = v
			}
			for k, v := range tc.change {
				env[k] = v
			}
			begin := time.Now()
			err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
			var stderr bytes.Buffer
			if code := app.ExitCode(err, &stderr); code != app.ExitConfig || !strings.Contains(stderr.String(), tc.variable) {
				t.Fatalf("exit %d, %q; want 2 naming %s", code, stderr.String(), tc.variable)
			}
			if d := time.Since(begin); d > time.Second {
				t.Fatalf("took %s: configuration must be checked before connecting", d)
			}
		})
	}
}

func TestUnknownFlagIsAUsageError(t *testing.T) {
	err := run(context.Background(), []string{"--deve"}, func(string) string { return "" }, io.Discard, io.Discard)
	if code := app.ExitCode(err, io.Discard); code != app.ExitConfig {
		t.Fatalf("exit %d, want 2", code)
	}
}
