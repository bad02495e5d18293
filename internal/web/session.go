package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The console keeps who signed in in the store (console_sessions), shared by every front door behind a
// load balancer and kept across restarts. The cookie holds only a random secret; the store holds its hash,
// so deleting the row ends the session at once wherever the cookie was copied: sign-out, `starter session
// revoke`, and `starter token revoke` (which also ends the token's sessions) all do. A token-based session
// also names the token's hash, and every request checks that the token is still valid.

const (
	sessionCookie = "dsr_session"
	sessionTTL    = 8 * time.Hour
)

type session struct {
	// ID names the session in `starter session list`; it is not the cookie's secret.
	ID        string
	Principal Principal
	// TokenHash is the hash of the token signed in with (empty for single sign-on and the dev token).
	TokenHash string
	Expires   time.Time
	// secretHash is the hash of the cookie's secret; the session's CSRF token derives from it.
	secretHash string
}

// csrfToken is the form token of a session: forms carry it, and a POST without it changes nothing.
func (s *server) csrfToken(sess session) string { return s.Key.Hash("console-csrf", sess.secretHash) }

// startSession signs p in: it records the session, sets the cookie and returns the session. Sessions
// that expired are swept on the way, so the table holds the live ones and the recently ended.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, p Principal, tokenHash string) (session, error) {
	ctx := r.Context()
	now := s.now()
	if _, err := s.Store.SweepSessions(ctx, now); err != nil {
		return session{}, err
	}
	secretBytes := make([]byte, 32)
	_, _ = rand.Read(secretBytes)
	secret := base64.RawURLEncoding.EncodeToString(secretBytes)
	sess := session{ID: "ses_" + randomHex(8), Principal: p, TokenHash: tokenHash, Expires: now.Add(sessionTTL), secretHash: TokenHash(secret)}
	if err := s.Store.CreateSession(ctx, store.Session{ID: sess.ID, SecretHash: sess.secretHash, Principal: p.ID, Name: p.Name, Role: p.Role,
		TokenHash: tokenHash, CreatedAt: now, ExpiresAt: sess.Expires}); err != nil {
		return session{}, err
	}
	// The audit trail names who a principal is once per sign-in: an OIDC subject id reads as a person.
	reason := ""
	if p.Name != "" {
		reason = "signed in as " + p.Name
	}
	if _, err := s.Store.AppendAudit(ctx, store.AuditEvent{At: now.UTC(), Action: "console_signed_in", Actor: p.ID, Reason: reason,
		Detail: map[string]string{"session": sess.ID, "role": p.Role}}); err != nil {
		return session{}, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/",
		MaxAge: int(sessionTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r),
	})
	return sess, nil
}

// endSession signs the request's session out: its record is deleted, so the cookie stops working
// everywhere at once, and the browser is told to forget it.
func (s *server) endSession(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r)})
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	sess, ok := s.readSession(r)
	if err := s.Store.EndSession(r.Context(), TokenHash(c.Value)); err != nil {
		return err
	}
	if ok {
		_, err := s.Store.AppendAudit(r.Context(), store.AuditEvent{At: s.now().UTC(), Action: "console_signed_out", Actor: sess.Principal.ID,
			Detail: map[string]string{"session": sess.ID}})
		return err
	}
	return nil
}

// readSession returns the request's valid session: recorded in the store, not expired, not ended, and
// (for token sign-ins) its token not revoked.
func (s *server) readSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(s.Key) == 0 || s.Store == nil {
		return session{}, false
	}
	rec, err := s.Store.SessionBySecret(r.Context(), TokenHash(c.Value), s.now())
	if err != nil {
		if dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
			s.Logger.Warn("console session unreadable", "error", err)
		}
		return session{}, false
	}
	sess := session{ID: rec.ID, Principal: Principal{ID: rec.Principal, Name: rec.Name, Role: rec.Role}, TokenHash: rec.TokenHash,
		Expires: rec.ExpiresAt, secretHash: rec.SecretHash}
	if rec.TokenHash != "" {
		if _, err := s.Store.TokenByHash(r.Context(), rec.TokenHash); err != nil {
			return session{}, false
		}
	}
	return sess, true
}

type sessionKey struct{}

func currentSession(r *http.Request) session {
	sess, _ := r.Context().Value(sessionKey{}).(session)
	return sess
}

// consolePage admits signed-in people of the listed roles (admin always). Without a session it sends
// them to the sign-in page; a POST must carry the session's CSRF token.
func (s *server) consolePage(next http.Handler, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.readSession(r)
		if !ok {
			if r.Method != http.MethodGet {
				s.renderError(w, r, http.StatusUnauthorized, "Your session has ended. Sign in again.")
				return
			}
			http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if sess.Principal.Role != RoleAdmin && !contains(roles, sess.Principal.Role) {
			s.renderError(w, r, http.StatusForbidden, "Your role ("+sess.Principal.Role+") may not open this page.")
			return
		}
		if r.Method == http.MethodPost && !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(sess))) {
			s.renderError(w, r, http.StatusForbidden, "The form has expired. Go back, reload the page and try again.")
			return
		}
		ctx := dsrflow.WithPrincipal(context.WithValue(r.Context(), sessionKey{}, sess), sess.Principal)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// loopbackHost reports whether the request came to a loopback name: there, cookies work without TLS.
func loopbackHost(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/console"
}

// errSignIn is what a failed sign-in shows, whatever failed.
var errSignIn = dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "unknown or revoked token")
