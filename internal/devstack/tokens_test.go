package devstack_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

func TestTokensAndRoles(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	ctx := context.Background()
	tokens := map[string]string{}
	for _, role := range []string{"agent", "reviewer", "dpo"} {
		tok, id := web.NewToken()
		if err := s.Store.CreateToken(ctx, store.Token{ID: id, Name: role + "-1", Role: role, Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	call := func(token, method, path string, body any) int {
		c := apiClient{t: t, stack: s}
		saved := s.Token
		s.Token = token
		defer func() { s.Token = saved }()
		status, _ := c.call(method, path, body)
		return status
	}
	newReq := web.NewRequest{Type: "marketing_optout", Email: "nobody@example.com"}
	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		want                      int
	}{
		{"no token", "", "GET", "/api/v1/requests", nil, http.StatusUnauthorized},
		{"unknown token", "dsr_tok_nope", "GET", "/api/v1/requests", nil, http.StatusUnauthorized},
		{"agent lists", tokens["agent"], "GET", "/api/v1/requests", nil, http.StatusOK},
		{"agent starts", tokens["agent"], "POST", "/api/v1/requests", newReq, http.StatusCreated},
		{"agent reads the outbox", tokens["agent"], "GET", "/api/v1/outbox", nil, http.StatusForbidden},
		{"agent decides", tokens["agent"], "POST", "/api/v1/requests/dsr_x/decisions", map[string]string{"decision": "approve", "reason": "r"}, http.StatusForbidden},
		{"reviewer lists", tokens["reviewer"], "GET", "/api/v1/requests", nil, http.StatusOK},
		{"reviewer starts", tokens["reviewer"], "POST", "/api/v1/requests", newReq, http.StatusForbidden},
		{"reviewer decides on an unknown request", tokens["reviewer"], "POST", "/api/v1/requests/dsr_x/decisions", map[string]string{"decision": "approve", "reason": "r"}, http.StatusNotFound},
		{"dpo reads the outbox", tokens["dpo"], "GET", "/api/v1/outbox", nil, http.StatusForbidden},
		{"dev token reads the outbox", s.Token, "GET", "/api/v1/outbox", nil, http.StatusOK},
		{"agent decrypts payloads", tokens["agent"], "POST", "/codec/decode", map[string]any{"payloads": []any{}}, http.StatusForbidden},
		{"reviewer decrypts payloads", tokens["reviewer"], "POST", "/codec/decode", map[string]any{"payloads": []any{}}, http.StatusForbidden},
		{"dpo decrypts payloads", tokens["dpo"], "POST", "/codec/decode", map[string]any{"payloads": []any{}}, http.StatusOK},
	} {
		if got := call(tc.token, tc.method, tc.path, tc.body); got != tc.want {
			t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, got, tc.want)
		}
	}
	if err := s.Store.RevokeToken(ctx, "agent-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := call(tokens["agent"], "GET", "/api/v1/requests", nil); got != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", got)
	}
}
