package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/dsrflow/dsrflow"
)

// Roles of API tokens.
const (
	RoleAgent    = "agent"
	RoleReviewer = "reviewer"
	RoleDPO      = "dpo"
	RoleAdmin    = "admin"
)

// Principal is who made a call.
type Principal struct {
	ID   string
	Role string
}

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

type principalKey struct{}

// requireRole authenticates the bearer token and admits the listed roles (admin always).
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
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func principal(r *http.Request) Principal {
	p, _ := r.Context().Value(principalKey{}).(Principal)
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
