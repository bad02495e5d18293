package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

const sessionDevToken = "dev-token-for-session-tests"

// sessionServer is a front door on a fresh store whose clock the test moves.
type sessionServer struct {
	*server
	st  *store.Store
	now time.Time
}

func newSessionServer(t *testing.T) *sessionServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := secret.Parse(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	ss := &sessionServer{st: st, now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	ss.server = &server{Deps: Deps{Store: st, Key: key, Auth: AnyOf{DevToken(sessionDevToken), StoreTokens{st}}, Now: func() time.Time { return ss.now }},
		mux: http.NewServeMux()}
	ss.server.Logger = slog.New(slog.DiscardHandler)
	ss.routes()
	return ss
}

// do serves one request with the given session cookie (none when empty) and returns the response.
func (ss *sessionServer) do(method, path, cookie string, form url.Values) *http.Response {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, "http://localhost"+path, nil)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	rec := httptest.NewRecorder()
	ss.mux.ServeHTTP(rec, req)
	return rec.Result()
}

// signIn signs in with token on the sign-in form and returns the session cookie's value.
func (ss *sessionServer) signIn(t *testing.T, token string) string {
	t.Helper()
	resp := ss.do("POST", "/console/signin", "", url.Values{"token": {token}, "next": {"/console/requests"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Value
		}
	}
	t.Fatal("sign-in set no session cookie")
	return ""
}

// admitted reports whether a console page opens with this cookie (a signed-out visitor is sent to
// the sign-in page).
func (ss *sessionServer) admitted(t *testing.T, cookie string) bool {
	t.Helper()
	resp := ss.do("GET", "/console/requests", cookie, nil)
	switch {
	case resp.StatusCode == http.StatusOK:
		return true
	case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/console/signin"):
		return false
	}
	t.Fatalf("console page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	return false
}

func (ss *sessionServer) createToken(t *testing.T, name, role string) string {
	t.Helper()
	token, id := NewToken()
	if err := ss.st.CreateToken(context.Background(), store.Token{ID: id, Name: name, Role: role, Hash: TokenHash(token), CreatedAt: ss.now}); err != nil {
		t.Fatal(err)
	}
	return token
}

// The attack: someone copies the session cookie (a shared machine, a proxy log); its owner signs out.
// The copy must stop working at once, not when the cookie would have expired.
func TestSignOutEndsACopiedCookie(t *testing.T) {
	ss := newSessionServer(t)
	token := ss.createToken(t, "alice", RoleAgent)
	cookie := ss.signIn(t, token)
	copied := cookie
	if !ss.admitted(t, copied) {
		t.Fatal("a fresh session is refused")
	}
	other := ss.signIn(t, token) // the same person in a second browser

	resp := ss.do("POST", "/console/signout", cookie, url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if ss.admitted(t, copied) {
		t.Error("a cookie copied before sign-out still opens the console after it")
	}
	if !ss.admitted(t, other) {
		t.Error("signing out in one browser ended the session in another")
	}
	// The cookie is no signed statement that a copy of the store could mint: only the hash is stored.
	list, err := ss.st.ListSessions(context.Background(), ss.now)
	if err != nil || len(list) != 1 || list[0].SecretHash == other || strings.Contains(list[0].SecretHash, other) {
		t.Fatalf("stored sessions = %+v, %v", list, err)
	}
}

// A revoked single sign-on session is refused at once, and the identity that counts is the subject id.
func TestRevokedOIDCSessionIsRefused(t *testing.T) {
	ss := newSessionServer(t)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://localhost/console/oidc/callback", nil)
	if _, err := ss.startSession(rec, req, Principal{ID: "oidc:248289761001", Name: "anna", Role: RoleAgent}, ""); err != nil {
		t.Fatal(err)
	}
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			cookie = c.Value
		}
	}
	if !ss.admitted(t, cookie) {
		t.Fatal("a fresh single sign-on session is refused")
	}
	page := ss.do("GET", "/console/requests", cookie, nil)
	body, _ := io.ReadAll(page.Body)
	if !strings.Contains(string(body), "anna [oidc:248289761001] (agent)") {
		t.Error("the console does not show the username with the subject id")
	}
	list, _ := ss.st.ListSessions(context.Background(), ss.now)
	if len(list) != 1 || list[0].Principal != "oidc:248289761001" || list[0].Name != "anna" {
		t.Fatalf("sessions = %+v", list)
	}
	// The audit trail says once who the subject id is.
	events, err := ss.st.ListAudit(context.Background(), "")
	if err != nil || len(events) != 1 || events[0].Action != "console_signed_in" || events[0].Actor != "oidc:248289761001" || events[0].Reason != "signed in as anna" {
		t.Fatalf("audit = %+v, %v", events, err)
	}

	if n, err := ss.st.RevokeSessionsOf(context.Background(), "oidc:248289761001"); err != nil || n != 1 {
		t.Fatalf("revoke: %d, %v", n, err)
	}
	if ss.admitted(t, cookie) {
		t.Error("a revoked single sign-on session still opens the console")
	}
}

// The dev token's sessions are records like any other: revoked by principal, refused at once; and every
// session ends at its expiry, after which the sweep at the next sign-in removes its record.
func TestDevSessionRevocationAndExpiry(t *testing.T) {
	ss := newSessionServer(t)
	dev := ss.signIn(t, sessionDevToken)
	if !ss.admitted(t, dev) {
		t.Fatal("a dev-token session is refused")
	}
	if n, err := ss.st.RevokeSessionsOf(context.Background(), "dev"); err != nil || n != 1 {
		t.Fatalf("revoke dev: %d, %v", n, err)
	}
	if ss.admitted(t, dev) {
		t.Error("a revoked dev-token session still opens the console")
	}

	old := ss.signIn(t, sessionDevToken)
	ss.now = ss.now.Add(sessionTTL)
	if ss.admitted(t, old) {
		t.Error("a session is accepted at its expiry")
	}
	ss.signIn(t, sessionDevToken)
	list, err := ss.st.ListSessions(context.Background(), time.Time{})
	if err != nil || len(list) != 1 {
		t.Fatalf("after a sign-in past the old session's expiry, stored sessions = %+v, %v (want the new one only)", list, err)
	}
}

// Revoking a token ends its sessions even where the records were left (a token revoked by an older
// CLI): every request checks the token.
func TestRevokedTokenEndsItsSession(t *testing.T) {
	ss := newSessionServer(t)
	token := ss.createToken(t, "bob", RoleReviewer)
	cookie := ss.signIn(t, token)
	if err := ss.st.RevokeToken(context.Background(), "bob", ss.now); err != nil {
		t.Fatal(err)
	}
	if ss.admitted(t, cookie) {
		t.Error("the session of a revoked token still opens the console")
	}
}
