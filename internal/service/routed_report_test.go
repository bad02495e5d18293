package service_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The DPO's transparency report counts the routed items per customer from the store (SQLite), named
// from customers.yaml; ListRouted names them the same way. A customer gone from the registry is
// counted by its id.
func TestTransparencyReportCountsRoutedItems(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	svc, _, st := newStoreService(t, &now)
	cs, err := connectors.ParseCustomers([]byte("customers:\n  - id: acme\n    legal_name: Acme Manufacturing AS\n    email: privacy@acme.example\n    dpa_deadline_days: 10\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	svc.Customers = cs
	ctx := context.Background()
	open := func(req, customer, tenant string) string {
		t.Helper()
		it := dsrflow.RoutedItem{ID: dsrflow.RoutedID(req, "payroll", tenant), RequestID: req, RequestType: dsrflow.Erasure,
			Customer: customer, Tenant: tenant, Connector: "payroll", DueAt: now.AddDate(0, 0, 14), NotifiedAt: now}
		if _, err := st.OpenRouted(ctx, it); err != nil {
			t.Fatal(err)
		}
		return it.ID
	}
	update := func(id string, c store.RoutedChange) {
		t.Helper()
		if _, err := st.UpdateRouted(ctx, id, c); err != nil {
			t.Fatal(err)
		}
	}
	a1 := open("dsr_1", "acme", "t-acme")
	a2 := open("dsr_2", "acme", "t-acme")
	a3 := open("dsr_3", "acme", "t-acme-2")
	open("dsr_4", "acme", "t-acme")
	g1 := open("dsr_1", "globex", "t-globex")
	update(a1, store.RoutedChange{State: dsrflow.RoutedInstructed, Instruction: dsrflow.InstructExecute, Action: dsrflow.ActionErase, At: now})
	update(a1, store.RoutedChange{State: dsrflow.RoutedExecuted, At: now})
	update(a2, store.RoutedChange{State: dsrflow.RoutedDeclined, Instruction: dsrflow.InstructDecline, Reason: "not our employee", At: now})
	update(a3, store.RoutedChange{State: dsrflow.RoutedEscalated, At: now})
	update(g1, storeChangeHandled(now))

	if _, err := svc.TransparencyReport(asWho("user:agent", dsrflow.RoleAgent), 2026); dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN {
		t.Fatalf("agent: err %v, want EFORBIDDEN", err)
	}
	rep, err := svc.TransparencyReport(asWho("user:dpo", dsrflow.RoleDPO), 2026)
	if err != nil {
		t.Fatal(err)
	}
	want := []dsrflow.RoutedCustomerCount{
		{Customer: "acme", LegalName: "Acme Manufacturing AS", Total: 4, Open: 2, Escalated: 1, Executed: 1, Declined: 1},
		{Customer: "globex", Total: 1, Handled: 1},
	}
	if rep.Year != 2026 || rep.Authorities == nil || len(rep.Authorities) != 0 || !reflect.DeepEqual(rep.Routed, want) {
		t.Fatalf("TransparencyReport(2026) = %+v\nwant routed %+v and no authority rows", rep, want)
	}

	items, err := svc.ListRouted(asWho("user:agent", dsrflow.RoleAgent), "dsr_1")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, it := range items {
		names[it.Customer] = it.LegalName
	}
	if len(items) != 2 || names["acme"] != "Acme Manufacturing AS" || names["globex"] != "" {
		t.Fatalf("ListRouted(dsr_1) named %v", names)
	}
}
