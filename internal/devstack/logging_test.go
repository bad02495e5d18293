package devstack_test

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestLogsHoldNoPersonalData runs every request type for jane through the embedded stack with a
// debug-level process logger, then looks for her email, name, phone, corrected name and verification
// code in everything logged: the worker, the front door, the Temporal client, through slog.Default
// the demo connectors, and the embedded Temporal server's own log file.
func TestLogsHoldNoPersonalData(t *testing.T) {
	var out syncBuffer
	logger := app.NewLogger(&out, slog.LevelDebug, false)
	defer useDefaultLogger(logger)()
	// The process logger itself masks what a caller logs by mistake.
	logger.Info("logsafe canary", "detail", "subject "+jane)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	s, err := devstack.Start(ctx, devstack.Options{Config: testConfig(t, dir), Logger: logger})
	if err != nil {
		t.Fatalf("start dev stack: %v", err)
	}
	defer s.Close(context.Background())
	c := apiClient{t: t, stack: s}
	const name, phone, corrected = "Jane Doe", "+47 400 00 000", "Jane Smith"
	forJane := func(typ string) web.NewRequest {
		return web.NewRequest{Type: typ, Email: jane, Name: name, Phone: phone, Attest: "video call"}
	}
	var ids []string

	req := forJane("access")
	req.Attest = ""
	id := c.create(req)
	ids = append(ids, id)
	c.waitStatus(id, "verifying")
	code := mailedCode(t, c, id)
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": wrongCode(code)}); status != http.StatusBadRequest {
		t.Fatalf("wrong code: %d %s", status, data)
	}
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": code}); status != http.StatusOK {
		t.Fatalf("right code: %d %s", status, data)
	}
	c.waitStatus(id, "completed")
	c.export(id)

	for _, typ := range []string{"portability", "rectification", "restriction", "objection", "marketing_optout", "consent_withdrawal", "erasure"} {
		req := forJane(typ)
		switch typ {
		case "rectification":
			req.Corrections = map[string]string{"user.name": corrected}
		case "objection":
			req.Grounds = "particular situation"
		case "restriction":
			req.Ground = "accuracy_contested"
		case "marketing_optout":
			req.Attest = ""
		case "consent_withdrawal":
			req.Attest, req.Purposes = "", []string{"email_marketing"}
		}
		id := c.create(req)
		ids = append(ids, id)
		if typ == "objection" {
			c.waitStatus(id, "in_review")
			if status, data := c.call("POST", "/api/v1/requests/"+id+"/decisions", map[string]string{"decision": "approve", "reason": "grounds outweigh our interest"}); status != http.StatusOK {
				t.Fatalf("decision: %d %s", status, data)
			}
		}
		c.waitStatus(id, "completed")
	}
	stop(t, s)

	logged := out.String()
	// The capture works: the logs carry request ids at debug level, so an empty or unrelated log
	// cannot pass for a clean one.
	if !strings.Contains(logged, ids[0]) {
		t.Fatalf("the log (%d bytes) never names request %s: is the logger wired?", len(logged), ids[0])
	}
	if canary := line(logged, strings.Index(logged, "logsafe canary")); !strings.Contains(canary, "subject [email]") {
		t.Errorf("the process logger does not mask an email logged by mistake: %q", canary)
	}
	needles := map[string]string{
		"email": jane, "escaped email": url.QueryEscape(jane), "email's local part": strings.Split(jane, "@")[0],
		"name": name, "corrected name": corrected, "phone": phone, "phone digits": strings.ReplaceAll(phone, " ", ""),
		"verification code": code,
	}
	// The embedded Temporal server logs to a file of its own in the data directory.
	serverLog, err := os.ReadFile(filepath.Join(dir, "temporal.log"))
	if err != nil {
		t.Fatal(err)
	}
	for what, needle := range needles {
		if i := strings.Index(logged, needle); i >= 0 {
			t.Errorf("the process log holds jane's %s: %s", what, line(logged, i))
		}
		if i := strings.Index(string(serverLog), needle); i >= 0 {
			t.Errorf("temporal.log holds jane's %s: %s", what, line(string(serverLog), i))
		}
	}
}

// line returns the log line around offset i.
func line(s string, i int) string {
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

// useDefaultLogger makes l slog's default, which the demo connectors and the log package write to, and
// returns a function that restores both.
func useDefaultLogger(l *slog.Logger) (restore func()) {
	prev, w, flags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(l)
	return func() {
		slog.SetDefault(prev)
		log.SetOutput(w)
		log.SetFlags(flags)
	}
}

// syncBuffer is a bytes.Buffer that the stack's goroutines may write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
