package storetest

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testRouted: a routed item opens notified once, moves through an escalation and an instruction to
// executed with an audit event each, refuses a change once final, and is counted per customer.
func testRouted(t *testing.T, s *store.Store) {
	due := ts.Add(14 * 24 * time.Hour)
	it := dsrflow.RoutedItem{ID: dsrflow.RoutedID("dsr_r1", "payroll", "t-acme"), RequestID: "dsr_r1", RequestType: dsrflow.Access,
		Customer: "acme", Tenant: "t-acme", Connector: "payroll", DueAt: due, NotifiedAt: ts}
	got, err := s.OpenRouted(ctx, it)
	must(t, err)
	if got.State != dsrflow.RoutedNotified || !got.DueAt.Equal(us(due)) || got.Customer != "acme" {
		t.Fatalf("opened: %+v", got)
	}
	_, err = s.OpenRouted(ctx, it) // a retried activity
	must(t, err)
	other := it
	other.ID, other.RequestID, other.Customer, other.Tenant = dsrflow.RoutedID("dsr_r2", "payroll", "t-globex"), "dsr_r2", "globex", "t-globex"
	_, err = s.OpenRouted(ctx, other)
	must(t, err)
	_, err = s.OpenRouted(ctx, dsrflow.RoutedItem{ID: "x"})
	wantCode(t, err, dsrflow.EINVALID)

	_, err = s.UpdateRouted(ctx, it.ID, store.RoutedChange{State: dsrflow.RoutedEscalated, At: due})
	must(t, err)
	at := due.Add(time.Hour)
	_, err = s.UpdateRouted(ctx, it.ID, store.RoutedChange{State: dsrflow.RoutedInstructed, Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionErase, Actor: "user:agent", At: at})
	must(t, err)
	got, err = s.UpdateRouted(ctx, it.ID, store.RoutedChange{State: dsrflow.RoutedExecuted, Action: dsrflow.ActionErase, At: at.Add(time.Minute)})
	must(t, err)
	if got.State != dsrflow.RoutedExecuted || got.Instruction != dsrflow.InstructExecute || got.Action != dsrflow.ActionErase ||
		got.InstructedAt == nil || !got.InstructedAt.Equal(us(at)) || got.EscalatedAt == nil || got.ClosedAt == nil {
		t.Fatalf("executed: %+v", got)
	}
	_, err = s.UpdateRouted(ctx, it.ID, store.RoutedChange{State: dsrflow.RoutedDeclined, Instruction: dsrflow.InstructDecline})
	wantCode(t, err, dsrflow.ECONFLICT)
	_, err = s.GetRouted(ctx, "nope")
	wantCode(t, err, dsrflow.ENOTFOUND)

	list, err := s.ListRouted(ctx, "dsr_r1", 0)
	must(t, err)
	if len(list) != 1 || list[0].ID != it.ID {
		t.Fatalf("ListRouted(dsr_r1) = %+v", list)
	}
	if all, err := s.ListRouted(ctx, "", 0); err != nil || len(all) != 2 {
		t.Fatalf("ListRouted() = %d items, %v; want 2", len(all), err)
	}
	evs, err := s.ListAudit(ctx, "dsr_r1")
	must(t, err)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	want := []string{"routed_item_opened", "routed_item_escalated", "routed_item_instructed", "routed_item_executed"}
	if len(actions) != len(want) {
		t.Fatalf("audit of dsr_r1: %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit of dsr_r1: %v, want %v", actions, want)
		}
	}
	counts, err := s.CountRouted(ctx)
	must(t, err)
	if len(counts) != 2 || counts[0] != (store.RoutedCount{Customer: "acme", State: dsrflow.RoutedExecuted, Count: 1}) ||
		counts[1] != (store.RoutedCount{Customer: "globex", State: dsrflow.RoutedNotified, Count: 1}) {
		t.Fatalf("CountRouted = %+v", counts)
	}
}
