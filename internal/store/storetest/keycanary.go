package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

func testKeyCanary(t *testing.T, s *store.Store) {
	_, err := s.KeyCanary(ctx)
	wantCode(t, err, dsrflow.ENOTFOUND)
	at := us(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	must(t, s.PutKeyCanary(ctx, []byte{0, 1, 2, 255}, at))
	must(t, s.PutKeyCanary(ctx, []byte{9}, at)) // a second start keeps the first canary
	got, err := s.KeyCanary(ctx)
	must(t, err)
	if !bytes.Equal(got, []byte{0, 1, 2, 255}) {
		t.Fatalf("canary = %v, want the first one written", got)
	}
}
