package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Roles of API tokens (dsrflow's roles).
const (
	RoleAgent    = dsrflow.RoleAgent
	RoleReviewer = dsrflow.RoleReviewer
	RoleDPO      = dsrflow.RoleDPO
	RoleAdmin    = dsrflow.RoleAdmin
)

// Principal is who made a call (dsrflow.Principal).
type Principal = dsrflow.Principal

// Authenticator resolves a bearer token to a principal: EUNAUTHORIZED when the token is unknown.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// DevToken accepts the dev stack's generated token as an admin.
type DevToken string

// Authenticate implements Authenticator.
func (t DevToken) Authenticate(_ context.Context, token string) (Principal, error) {
	if t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
		return Principal{ID: "dev", Role: RoleAdmin}, nil
	}
	return Principal{}, dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "unknown token")
}

// requireRole authenticates the bearer token and admits the listed roles (admin always). The service
// checks the role again, for the console's and the privacy center's calls too; this check answers
// before a body is read.
func (s *server) requireRole(next http.Handler, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Auth == nil {
			writeError(w, dsrflow.Errorf(dsrflow.EUNAVAILABLE, "no authentication is configured"))
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			writeError(w, dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "missing bearer token"))
			return
		}
		p, err := s.Auth.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			writeError(w, err)
			return
		}
		if p.Role != RoleAdmin && !contains(roles, p.Role) {
			writeError(w, dsrflow.Errorf(dsrflow.EFORBIDDEN, "role %s may not do this", p.Role))
			return
		}
		next.ServeHTTP(w, r.WithContext(dsrflow.WithPrincipal(r.Context(), p)))
	})
}

func principal(r *http.Request) Principal {
	p, _ := dsrflow.PrincipalFrom(r.Context())
	return p
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// StoreTokens accepts the API tokens in the store (`starter token create`).
type StoreTokens struct{ Store *store.Store }

// Authenticate implements Authenticator.
func (a StoreTokens) Authenticate(ctx context.Context, token string) (Principal, error) {
	t, err := a.Store.TokenByHash(ctx, TokenHash(token))
	if dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
		return Principal{}, dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "unknown or revoked token")
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{ID: TokenPrincipal(t.Name), Role: t.Role}, nil
}

// TokenPrincipal is the principal id of the API token named name.
func TokenPrincipal(name string) string { return dsrflow.TokenMember + name }

// AnyOf tries each authenticator in turn: the dev token, then the store's tokens.
type AnyOf []Authenticator

// Authenticate implements Authenticator.
func (list AnyOf) Authenticate(ctx context.Context, token string) (Principal, error) {
	err := error(dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "unknown token"))
	for _, a := range list {
		p, e := a.Authenticate(ctx, token)
		if e == nil {
			return p, nil
		}
		if dsrflow.ErrorCode(e) != dsrflow.EUNAUTHORIZED {
			err = e
		}
	}
	return Principal{}, err
}

// TokenHash is how a token is stored: its SHA-256, hex.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a new random token and its store id.
func NewToken() (token, id string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	idb := make([]byte, 8)
	_, _ = rand.Read(idb)
	return "dsr_tok_" + base64.RawURLEncoding.EncodeToString(b), "tok_" + hex.EncodeToString(idb)
}
