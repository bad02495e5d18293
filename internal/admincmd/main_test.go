package admincmd

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/web"
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

// runAdmin runs dsrflow-admin in-process and returns its exit status and output.
func runAdmin(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// seedAudit appends n events to a fresh store and returns it.
func seedAudit(t *testing.T, st *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := st.AppendAudit(ctx, store.AuditEvent{At: time.Now(), RequestID: "dsr_audittest", Action: "received", Actor: "agent:1"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditVerifyCatchesATamperedRow(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, config.DevStoreFile))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testAuditVerify(t, st, map[string]string{"DSR_DATA_DIR": dir})
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.FreshPostgres(t, storetest.PostgresURL(t))
		st, err := store.OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testAuditVerify(t, st, map[string]string{"DATABASE_URL": url})
	})
}

func testAuditVerify(t *testing.T, st *store.Store, env map[string]string) {
	seedAudit(t, st, 5)
	code, out, errOut := runAdmin(t, env, "audit", "verify")
	if code != 0 || !strings.Contains(out, "holds: 5 events") {
		t.Fatalf("audit verify on an intact chain: exit %d, %q %q", code, out, errOut)
	}
	storetest.DisableAppendOnly(t, st)
	if _, err := st.UnsafeDB().Exec(st.UnsafeDB().Rebind(`UPDATE audit_events SET reason = ? WHERE seq = ?`), "rewritten", 3); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runAdmin(t, env, "audit", "verify")
	if code != app.ExitFailure || !strings.Contains(errOut, "broken at sequence 3") {
		t.Fatalf("audit verify after changing row 3: exit %d, %q; want exit 1 naming sequence 3", code, errOut)
	}
}

func TestAuditVerifyWithoutAStoreIsAConfigurationError(t *testing.T) {
	code, _, errOut := runAdmin(t, map[string]string{"DSR_DATA_DIR": t.TempDir()}, "audit", "verify")
	if code != app.ExitConfig || !strings.Contains(errOut, "DATABASE_URL") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
}

func TestMigrateTwiceAtOnce(t *testing.T) {
	url := storetest.FreshPostgres(t, storetest.PostgresURL(t))
	env := map[string]string{"DATABASE_URL": url}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stdout bytes.Buffer
			err := Run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, &stdout, io.Discard)
			codes[i], outs[i] = app.ExitCode(err, io.Discard), stdout.String()
		}()
	}
	wg.Wait()
	for i := range codes {
		if codes[i] != 0 || !strings.HasPrefix(outs[i], "store schema at version ") {
			t.Fatalf("migrate %d: exit %d, %q", i, codes[i], outs[i])
		}
	}
	st, err := store.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CheckSchema(context.Background()); err != nil {
		t.Fatalf("schema after two concurrent migrations: %v", err)
	}
	applied, err := st.Migrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, m := range applied {
		if seen[m.Version] {
			t.Fatalf("migration %d recorded twice", m.Version)
		}
		seen[m.Version] = true
	}
}

func TestConfigurationErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		variable string
	}{
		{"migrate without DATABASE_URL", nil, []string{"migrate"}, "DATABASE_URL"},
		{"migrate with a non-postgres URL", map[string]string{"DATABASE_URL": "mysql://db/x"}, []string{"migrate"}, "DATABASE_URL"},
		{"serve without TEMPORAL_ADDRESS", map[string]string{"DATABASE_URL": "postgres://db/x"}, []string{"serve"}, "TEMPORAL_ADDRESS"},
		{"serve with a bad HTTP address", map[string]string{"DATABASE_URL": "postgres://db/x", "TEMPORAL_ADDRESS": "t:7233", "DSR_HTTP_ADDR": "8080"}, []string{"serve"}, "DSR_HTTP_ADDR"},
		{"serve with a bad log level", map[string]string{"DSR_LOG_LEVEL": "loud"}, []string{"serve"}, "DSR_LOG_LEVEL"},
		// Links to subjects are built from it alone: without it the front door would have none to give.
		{"serve without DSR_PUBLIC_URL", map[string]string{"DATABASE_URL": "postgres://db/x", "TEMPORAL_ADDRESS": "t:7233"}, []string{"serve"}, "DSR_PUBLIC_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runAdmin(t, tc.env, tc.args...)
			if code != app.ExitConfig || !strings.Contains(errOut, tc.variable) {
				t.Fatalf("exit %d, %q; want 2 naming %s", code, errOut, tc.variable)
			}
		})
	}
}

func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, config.DevStoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DSR_DATA_DIR": dir}
	code, out, errOut := runAdmin(t, env, "token", "create", "--role", "agent", "--name", "alice")
	token := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(token, "dsr_tok_") || len(token) < 40 {
		t.Fatalf("token create: exit %d, %q %q", code, out, errOut)
	}
	if got, err := st.TokenByHash(context.Background(), web.TokenHash(token)); err != nil || got.Role != "agent" || got.Name != "alice" {
		t.Fatalf("stored token = %+v, %v", got, err)
	}
	if code, _, _ := runAdmin(t, env, "token", "create", "--role", "agent", "--name", "alice"); code != app.ExitInvalid {
		t.Fatalf("duplicate name: exit %d, want 3", code)
	}
	if code, _, _ := runAdmin(t, env, "token", "create", "--role", "root", "--name", "bob"); code != app.ExitInvalid {
		t.Fatalf("unknown role: exit %d, want 3", code)
	}
	code, out, _ = runAdmin(t, env, "token", "list")
	if code != 0 || !strings.Contains(out, "alice") || strings.Contains(out, token) {
		t.Fatalf("token list: exit %d, %q (must name alice, never show the token)", code, out)
	}
	if code, _, _ := runAdmin(t, env, "token", "revoke", "alice"); code != 0 {
		t.Fatalf("revoke: exit %d", code)
	}
	if code, _, _ := runAdmin(t, env, "token", "revoke", "alice"); code != app.ExitMissing {
		t.Fatalf("second revoke: exit %d, want 5", code)
	}
}
