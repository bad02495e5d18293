package admincmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Sessions are ended from the command line: one by id, all of a principal, and all of a token when the
// token is revoked. What ends is gone from the store, so no front door admits it any more.
func TestSessionCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, config.DevStoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, s := range []store.Session{
		{ID: "ses_anna", SecretHash: "h1", Principal: "oidc:248289761001", Name: "anna\x1b[31m", Role: "agent"},
		{ID: "ses_dev", SecretHash: "h2", Principal: "dev", Role: "admin"},
		{ID: "ses_alice1", SecretHash: "h3", Principal: "token:alice", Role: "agent"},
		{ID: "ses_alice2", SecretHash: "h4", Principal: "token:alice", Role: "agent"},
	} {
		s.CreatedAt, s.ExpiresAt = now, now.Add(time.Hour)
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"DSR_DATA_DIR": dir}
	code, out, errOut := runAdmin(t, env, "session", "list")
	if code != 0 || !strings.Contains(out, "ses_anna") || !strings.Contains(out, "oidc:248289761001") || !strings.Contains(out, "anna[31m") || strings.Contains(out, "\x1b") || strings.Contains(out, "h1") {
		t.Fatalf("session list: exit %d, %q %q (want ids and principals, no escape sequence, no secret hash)", code, out, errOut)
	}
	if code, out, _ := runAdmin(t, env, "session", "revoke", "ses_anna"); code != 0 || !strings.Contains(out, "ended session ses_anna") {
		t.Fatalf("revoke by id: exit %d, %q", code, out)
	}
	if code, _, _ := runAdmin(t, env, "session", "revoke", "ses_anna"); code != app.ExitMissing {
		t.Fatalf("revoke an ended session: exit %d, want %d", code, app.ExitMissing)
	}
	if code, out, _ := runAdmin(t, env, "session", "revoke", "--principal", "dev"); code != 0 || !strings.Contains(out, "ended 1 session(s) of dev") {
		t.Fatalf("revoke by principal: exit %d, %q", code, out)
	}
	if code, _, _ := runAdmin(t, env, "session", "revoke"); code != app.ExitInvalid {
		t.Fatalf("revoke without a session: exit %d, want %d", code, app.ExitInvalid)
	}
	if code, _, errOut := runAdmin(t, env, "token", "create", "--role", "agent", "--name", "alice"); code != 0 {
		t.Fatalf("token create: %d %s", code, errOut)
	}
	if code, out, _ := runAdmin(t, env, "token", "revoke", "alice"); code != 0 || !strings.Contains(out, "ended 2 console session(s)") {
		t.Fatalf("token revoke: exit %d, %q", code, out)
	}
	if left, err := st.ListSessions(ctx, now); err != nil || len(left) != 0 {
		t.Fatalf("sessions left = %+v, %v", left, err)
	}
}
