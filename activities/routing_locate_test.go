package activities_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// A processor that cannot say where the subject is (a failed answer, a permanent error such as a postgres
// or rest processor finding a tenant its tenants: does not map) is audited with its id and the status,
// for a person; the other processors' tenants are still routed rather than lost with it.
func TestLocateFailureOfOneProcessorIsAuditedAndTheOthersRoute(t *testing.T) {
	ctx := context.Background()
	secret := strings.Repeat("s", 40)
	var yaml strings.Builder
	yaml.WriteString("connectors:\n")
	for _, id := range []string{"broken", "payroll", "refusing"} {
		yaml.WriteString("  - id: " + id + "\n    owner: Example Payroll AS\n    role: processor\n    kind: http\n    url: http://127.0.0.1:1/" + id +
			"\n    secret_env: S\n    actions: [locate]\n    identities: [email]\n")
	}
	reg, err := connectors.Parse([]byte(yaml.String()), func(string) string { return secret })
	if err != nil {
		t.Fatal(err)
	}
	var jobs int
	runners := map[string]connectors.Runner{
		"broken":   fixedRunner{res: connectors.Result{Status: connectors.StatusFailed, Detail: "index offline"}, jobs: &jobs},
		"payroll":  fixedRunner{res: connectors.Result{Status: connectors.StatusCompleted, Tenants: []connectors.TenantHolding{{Tenant: "t-acme", Customer: "acme"}}}, jobs: &jobs},
		"refusing": errRunner{err: &connectors.CallError{Connector: "refusing", Permanent: true, Message: "locate: a tenant tenants: does not map"}},
	}
	st := storeWithRequest(t, "dsr_loc", "access")
	cs, err := connectors.NewCustomers(connectors.Customer{ID: "acme", LegalName: "Acme Manufacturing Ltd", Email: "privacy@acme.example", DeadlineDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	a := &activities.Routing{Connectors: &activities.Connectors{Registry: reg, Runners: runners, Store: st}, Customers: cs, Store: st}
	found, err := a.LocateTenants(ctx, act.LocateInput{RequestID: "dsr_loc", Identity: dsrflow.Identity{Email: "jane@example.com"}, Verified: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0] != (act.Located{Connector: "payroll", Tenant: "t-acme", Customer: "acme"}) {
		t.Fatalf("located %+v, want Acme's tenant from payroll", found)
	}
	events, err := st.ListAudit(ctx, "dsr_loc")
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, e := range events {
		if e.Action == "routing_locate_failed" {
			failed = append(failed, e.Detail["connector"]+"/"+e.Detail["status"])
		}
	}
	slices.Sort(failed)
	if !slices.Equal(failed, []string{"broken/failed", "refusing/error"}) {
		t.Fatalf("routing_locate_failed events %v, want broken/failed and refusing/error", failed)
	}
}

// errRunner fails every job with one error.
type errRunner struct{ err error }

func (r errRunner) Run(context.Context, connectors.Job) (connectors.Result, error) {
	return connectors.Result{}, r.err
}
func (r errRunner) Poll(context.Context, string) (connectors.Result, error) {
	return connectors.Result{}, r.err
}
func (errRunner) Close() error { return nil }
