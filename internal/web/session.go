package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// The console keeps who signed in in a signed cookie, not in server memory, so that several front doors
// behind a load balancer share sessions and a restart signs nobody out. The cookie holds the principal,
// never a token: a token-based session names the token's hash, and every request checks that the token
// is still valid, so revoking a token ends its sessions.

const (
	sessionCookie = "dsr_session"
	sessionTTL    = 8 * time.Hour
)

type session struct {
	Principal Principal `json:"p"`
	// TokenHash is the hash of the token signed in with (empty for single sign-on).
	TokenHash string `json:"t,omitempty"`
	Expires   int64  `json:"e"`
	// Nonce makes each session's CSRF token unique.
	Nonce string `json:"n"`
}

func (s *server) sessionSig(payload string) string { return s.Key.Hash("console-session", payload) }

// csrfToken is the form token of a session: forms carry it, and a POST without it changes nothing.
func (s *server) csrfToken(sess session) string { return s.Key.Hash("console-csrf", sess.Nonce) }

// startSession signs p in: it sets the session cookie and returns the session.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, p Principal, tokenHash string) session {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	sess := session{Principal: p, TokenHash: tokenHash, Expires: s.now().Add(sessionTTL).Unix(), Nonce: hex.EncodeToString(nonce)}
	body, _ := json.Marshal(sess)
	payload := base64.RawURLEncoding.EncodeToString(body)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: payload + "." + s.sessionSig(payload), Path: "/",
		MaxAge: int(sessionTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r),
	})
	return sess
}

func (s *server) endSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r)})
}

// readSession returns the request's valid session: signed by this front door's key, not expired, and
// (for token sign-ins) its token not revoked.
func (s *server) readSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(s.Key) == 0 {
		return session{}, false
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sessionSig(payload))) {
		return session{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return session{}, false
	}
	var sess session
	if json.Unmarshal(body, &sess) != nil || s.now().Unix() > sess.Expires || sess.Principal.Role == "" {
		return session{}, false
	}
	if strings.HasPrefix(sess.Principal.ID, "token:") {
		if _, err := s.Store.TokenByHash(r.Context(), sess.TokenHash); err != nil {
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
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
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
