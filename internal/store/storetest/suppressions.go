package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testSuppressions: an address on the suppression list is found by its hash with its first reason; one
// not on it is ENOTFOUND; a repeated add (a retried activity, a later erasure) keeps the first entry; the
// list outlives the crypto-shredding of the request that put the address on it.
func testSuppressions(t *testing.T, s *store.Store) {
	h1, h2 := strings.Repeat("a1", 32), strings.Repeat("b2", 32)
	_, err := s.GetSuppression(ctx, h1)
	wantCode(t, err, dsrflow.ENOTFOUND)
	wantCode(t, s.AddSuppression(ctx, "jane.doe@example.com", string(dsrflow.MarketingOptout), ts), dsrflow.EINVALID)
	wantCode(t, s.AddSuppression(ctx, h1, "bored", ts), dsrflow.EINVALID)
	_, err = s.GetSuppression(ctx, "x' OR '1'='1")
	wantCode(t, err, dsrflow.EINVALID)

	must(t, s.AddSuppression(ctx, h1, string(dsrflow.MarketingOptout), ts))
	must(t, s.AddSuppression(ctx, h1, string(dsrflow.Erasure), ts.Add(time.Hour)))
	got, err := s.GetSuppression(ctx, h1)
	must(t, err)
	if got.Hash != h1 || got.Reason != string(dsrflow.MarketingOptout) || !got.Created.Equal(us(ts)) {
		t.Fatalf("suppression = %+v, want the first add (marketing_optout at %v)", got, us(ts))
	}
	if _, err := s.GetSuppression(ctx, h2); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("another address is suppressed: %v", err)
	}

	// Erasure's end: the request's records are crypto-shredded; the suppression stays.
	closed := ts.Add(time.Hour)
	fillRequest(t, s, "req_supp", &closed)
	must(t, s.AddSuppression(ctx, h2, string(dsrflow.Erasure), ts))
	if _, err := s.ShredRequest(ctx, "req_supp", ts.Add(24*time.Hour)); err != nil {
		t.Fatalf("ShredRequest: %v", err)
	}
	if got, err := s.GetSuppression(ctx, h2); err != nil || got.Reason != string(dsrflow.Erasure) {
		t.Fatalf("after shredding, suppression = %+v, %v; want erasure", got, err)
	}
}
