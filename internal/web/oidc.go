package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dsrflow/dsrflow"
)

// Single sign-on: where the organisation has an OpenID Connect provider, people sign in to the console
// there (authorization code flow with PKCE, state and nonce), and their groups give them a role.

// OIDCConfig is the provider and how its groups map to roles.
type OIDCConfig struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is the front door's /console/oidc/callback as the provider knows it.
	RedirectURL string
	// GroupsClaim names the ID token claim that lists the person's groups ("groups" by default).
	GroupsClaim string
	// Roles maps a group to a role; a person in several mapped groups gets the strongest role.
	Roles map[string]string
}

// OIDC signs people in with the provider. The provider is discovered on first use, not at start, so a
// front door starts while the provider is briefly unreachable; sign-in then says it is unavailable.
type OIDC struct {
	cfg      OIDCConfig
	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC returns the sign-in for cfg.
func NewOIDC(cfg OIDCConfig) *OIDC {
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	return &OIDC{cfg: cfg}
}

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
		if err != nil {
			return nil, nil, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "single sign-on is unavailable: the provider cannot be reached")
		}
		o.provider = p
	}
	return o.provider, &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: o.provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}, nil
}

// roleRank orders roles from strongest.
var roleRank = []string{RoleAdmin, RoleDPO, RoleReviewer, RoleAgent}

// role is the strongest role the groups map to, or "".
func (o *OIDC) role(groups []string) string {
	best := len(roleRank)
	for _, g := range groups {
		r, ok := o.cfg.Roles[g]
		if !ok {
			continue
		}
		for i, known := range roleRank {
			if known == r && i < best {
				best = i
			}
		}
	}
	if best == len(roleRank) {
		return ""
	}
	return roleRank[best]
}

const (
	oidcCookie = "dsr_oidc"
	oidcTTL    = 10 * time.Minute
)

// oidcFlow is one sign-in in progress, kept in a signed cookie between start and callback.
type oidcFlow struct {
	State, Nonce, Verifier, Next string
	Expires                      int64
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *server) handleOIDCStart() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, oc, err := s.OIDC.discover(r.Context())
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		flow := oidcFlow{State: randomHex(16), Nonce: randomHex(16), Verifier: oauth2.GenerateVerifier(), Next: safeNext(r.URL.Query().Get("next")), Expires: s.now().Add(oidcTTL).Unix()}
		body, _ := json.Marshal(flow)
		payload := base64.RawURLEncoding.EncodeToString(body)
		http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: payload + "." + s.Key.Hash("console-oidc", payload), Path: "/console/oidc/",
			MaxAge: int(oidcTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r)})
		http.Redirect(w, r, oc.AuthCodeURL(flow.State, oidc.Nonce(flow.Nonce), oauth2.S256ChallengeOption(flow.Verifier)), http.StatusSeeOther)
	})
}

func (s *server) readOIDCFlow(r *http.Request) (oidcFlow, bool) {
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return oidcFlow{}, false
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.Key.Hash("console-oidc", payload))) {
		return oidcFlow{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	var flow oidcFlow
	if err != nil || json.Unmarshal(body, &flow) != nil || s.now().Unix() > flow.Expires {
		return oidcFlow{}, false
	}
	return flow, true
}

func (s *server) handleOIDCCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		flow, ok := s.readOIDCFlow(r)
		if !ok || q.Get("state") == "" || !hmac.Equal([]byte(q.Get("state")), []byte(flow.State)) {
			s.renderError(w, r, http.StatusBadRequest, "This sign-in has expired or did not start here. Sign in again.")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/console/oidc/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: !loopbackHost(r)})
		if e := q.Get("error"); e != "" {
			s.renderError(w, r, http.StatusUnauthorized, "The sign-in provider refused the sign-in.")
			return
		}
		p, oc, err := s.OIDC.discover(r.Context())
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		tok, err := oc.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(flow.Verifier))
		if err != nil {
			s.Logger.Warn("oidc code exchange failed", "error", err)
			s.renderError(w, r, http.StatusUnauthorized, "The sign-in could not be completed. Sign in again.")
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := p.Verifier(&oidc.Config{ClientID: s.OIDC.cfg.ClientID}).Verify(r.Context(), raw)
		if err != nil || !hmac.Equal([]byte(idt.Nonce), []byte(flow.Nonce)) {
			s.Logger.Warn("oidc id token refused", "error", fmt.Sprint(err))
			s.renderError(w, r, http.StatusUnauthorized, "The sign-in could not be verified. Sign in again.")
			return
		}
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			s.renderError(w, r, http.StatusUnauthorized, "The sign-in could not be verified. Sign in again.")
			return
		}
		role := s.OIDC.role(stringList(claims[s.OIDC.cfg.GroupsClaim]))
		if role == "" {
			s.renderError(w, r, http.StatusForbidden, "You are signed in with single sign-on, but none of your groups gives you a role in dsrflow. Ask an administrator.")
			return
		}
		// The identity that counts is the subject id: stable and unique at the issuer (OpenID Connect Core
		// 1.0 §5.7), where preferred_username may change or be reused. The username is only shown.
		if idt.Subject == "" {
			s.renderError(w, r, http.StatusUnauthorized, "The sign-in could not be verified. Sign in again.")
			return
		}
		name, _ := claims["preferred_username"].(string)
		if _, err := s.startSession(w, r, Principal{ID: dsrflow.OIDCMember + idt.Subject, Role: role, Name: displayName(name)}, ""); err != nil {
			s.renderFailure(w, r, err)
			return
		}
		http.Redirect(w, r, flow.Next, http.StatusSeeOther)
	})
}

// displayName is a claim fit to show: no control characters, at most 64 characters.
func displayName(v string) string {
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(v))
	if r := []rune(v); len(r) > 64 {
		v = string(r[:64])
	}
	return v
}

// stringList reads a claim that is a list of strings (or one string).
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
