package storetest

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

func testTokens(t *testing.T, s *store.Store) {
	at := us(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	must(t, s.CreateToken(ctx, store.Token{ID: "tok_1", Name: "alice", Role: "agent", Hash: "h1", CreatedAt: at}))
	must(t, s.CreateToken(ctx, store.Token{ID: "tok_2", Name: "bob", Role: "reviewer", Hash: "h2", CreatedAt: at}))
	wantCode(t, s.CreateToken(ctx, store.Token{ID: "tok_3", Name: "alice", Role: "agent", Hash: "h3", CreatedAt: at}), dsrflow.ECONFLICT)
	wantCode(t, s.CreateToken(ctx, store.Token{ID: "tok_4", Name: "carol", Role: "root", Hash: "h4", CreatedAt: at}), dsrflow.EINVALID)

	got, err := s.TokenByHash(ctx, "h1")
	must(t, err)
	if got.ID != "tok_1" || got.Name != "alice" || got.Role != "agent" || !got.CreatedAt.Equal(at) || got.RevokedAt != nil {
		t.Fatalf("token = %+v", got)
	}
	_, err = s.TokenByHash(ctx, "nope")
	wantCode(t, err, dsrflow.ENOTFOUND)

	must(t, s.RevokeToken(ctx, "alice", at.Add(time.Hour)))
	_, err = s.TokenByHash(ctx, "h1")
	wantCode(t, err, dsrflow.ENOTFOUND)
	wantCode(t, s.RevokeToken(ctx, "alice", at), dsrflow.ENOTFOUND)
	must(t, s.RevokeToken(ctx, "tok_2", at))

	list, err := s.ListTokens(ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "alice" || list[0].RevokedAt == nil || !list[0].RevokedAt.Equal(at.Add(time.Hour)) || list[1].RevokedAt == nil {
		t.Fatalf("tokens = %+v", list)
	}
}
