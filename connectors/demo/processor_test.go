package demo

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The payroll processor names the tenants holding a subject, never records; Jane is in Acme's only,
// Ola in both, nobody in none.
func TestPayrollLocatesTenantsWithoutRecords(t *testing.T) {
	d := start(t, t.TempDir())
	payroll, ok := d.Registry().Get("payroll")
	if !ok || payroll.Role != connectors.RoleProcessor {
		t.Fatalf("payroll = %+v, want a processor", payroll)
	}
	var c connectors.Client
	for _, tc := range []struct {
		who  dsrflow.Identity
		want []connectors.TenantHolding
	}{
		{jane, []connectors.TenantHolding{{Tenant: tenantAcme, Customer: "acme"}}},
		{dsrflow.Identity{Email: olaEmail}, []connectors.TenantHolding{{Tenant: tenantAcme, Customer: "acme"}, {Tenant: tenantNordlys, Customer: "nordlys"}}},
		{nobody, nil},
	} {
		res := do(t, &c, payroll, newJob(payroll, "req-locate-"+strings.Split(tc.who.Email, "@")[0], dsrflow.ActionLocate, tc.who))
		if err := res.Validate(res.JobID); err != nil || len(res.Records) != 0 || !slices.Equal(res.Tenants, tc.want) {
			t.Errorf("%s: %+v (%v), want tenants %v and no records", tc.who.Email, res, err, tc.want)
		}
		if tc.want == nil && res.Status != connectors.StatusNotFound {
			t.Errorf("%s: status %s, want not_found", tc.who.Email, res.Status)
		}
	}
	for _, cust := range []string{"acme", "nordlys"} {
		if _, ok := d.Customers().Get(cust); !ok {
			t.Errorf("customer %s of the payroll tenants is not in the demo's customers", cust)
		}
	}
}

// An instructed erase runs in the named tenant only: Jane goes from Acme's tenant, Ola stays in both,
// and a job without a tenant (a subject's own request) is refused.
func TestPayrollEraseActsInOneTenantOnly(t *testing.T) {
	d := start(t, t.TempDir())
	payroll, _ := d.Registry().Get("payroll")
	var c connectors.Client
	ola := dsrflow.Identity{Email: olaEmail}

	_, err := c.Submit(t.Context(), endpoint(payroll), newJob(payroll, "req-own", dsrflow.ActionErase, jane))
	if ce := (*connectors.CallError)(nil); !errors.As(err, &ce) || !ce.Permanent {
		t.Fatalf("an erase without a tenant: %v, want refused for good", err)
	}
	job := newJob(payroll, "req-erase", dsrflow.ActionErase, ola)
	job.ID, job.Tenant = connectors.JobID("req-erase", "payroll."+tenantAcme, dsrflow.ActionErase), tenantAcme
	if res := do(t, &c, payroll, job); res.Status != connectors.StatusCompleted || res.Counts["erased"] != 2 {
		t.Fatalf("erase in %s: %+v, want Ola's profile and payslip erased", tenantAcme, res)
	}
	after := do(t, &c, payroll, newJob(payroll, "req-after", dsrflow.ActionLocate, ola))
	if !slices.Equal(after.Tenants, []connectors.TenantHolding{{Tenant: tenantNordlys, Customer: "nordlys"}}) {
		t.Fatalf("Ola after the erase in %s: %+v, want only %s", tenantAcme, after.Tenants, tenantNordlys)
	}
	access := newJob(payroll, "req-access", dsrflow.ActionAccess, jane)
	access.ID, access.Tenant = connectors.JobID("req-access", "payroll."+tenantAcme, dsrflow.ActionAccess), tenantAcme
	if res := do(t, &c, payroll, access); res.Status != connectors.StatusCompleted || len(res.Records) != 3 {
		t.Fatalf("Jane in %s after Ola's erase: %+v, want her profile and two payslips", tenantAcme, res)
	}
}
