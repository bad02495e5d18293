package storetest

import (
	"reflect"
	"testing"

	"github.com/dsrflow/dsrflow/internal/store"
)

// testRefusals: refused requests are counted by the ground of their audit events, and no other event
// counts.
func testRefusals(t *testing.T, s *store.Store) {
	got, err := s.CountRefusals(ctx)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("refusals of an empty store: %v", got)
	}
	for i, ground := range []string{"manifestly_excessive", "identity_not_confirmed", "manifestly_excessive"} {
		_, err := s.AppendAudit(ctx, store.AuditEvent{At: ts, RequestID: []string{"req_a", "req_b", "req_c"}[i], Action: store.RefusedAction,
			Actor: "token:dpo", Reason: "the reasons", Detail: map[string]string{"ground": ground, "status": "verifying"}})
		must(t, err)
	}
	_, err = s.AppendAudit(ctx, store.AuditEvent{At: ts, RequestID: "req_d", Action: "request_rejected", Detail: map[string]string{"ground": "other"}})
	must(t, err)
	got, err = s.CountRefusals(ctx)
	must(t, err)
	if want := map[string]int{"manifestly_excessive": 2, "identity_not_confirmed": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("refusals %v, want %v", got, want)
	}
}
