package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
)

// startDevStack starts a dev stack with the demo group, on a free Temporal port and in a temporary data
// directory unless opts.Config names one, and closes it when the test ends. It returns the stack and
// its Temporal address.
func startDevStack(t *testing.T, opts devstack.Options) (*devstack.Stack, string) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	dir := opts.Config.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	opts.Config = config.Dev{DataDir: dir, TemporalAddr: addr, HTTPAddr: "127.0.0.1:0", Demo: true}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := devstack.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s, addr
}

// runStarter runs the CLI in-process and returns its exit status and output.
func runStarter(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr, func(args []string) error {
		t.Fatalf("starter %v is dsrflow-admin's: test it in internal/admincmd (the hand-over itself in handover_test.go)", args)
		return nil
	})
	return exitCode(err, &stderr), stdout.String(), stderr.String()
}

func TestDue(t *testing.T) {
	code, out, errOut := runStarter(t, nil, "due", "--received", "2026-01-31", "--country", "NO", "--json")
	if code != 0 || strings.TrimSpace(out) != `{"due":"2026-03-02","extended_due":"2026-04-30"}` {
		t.Fatalf("exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = runStarter(t, nil, "due", "--received", "2026-01-31", "--country", "XX")
	if code != app.ExitInvalid || !strings.Contains(errOut, `"XX"`) {
		t.Fatalf("unknown country: exit %d, %q", code, errOut)
	}
}
