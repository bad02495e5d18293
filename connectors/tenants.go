package connectors

import (
	"maps"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow"
)

// Tenants maps the customer tenants of a processor system that dsrflow reaches itself (the postgres and
// rest kinds) to the business customers controlling the data in each: tenant id (as the system names
// it: a tenant column's value, a locate answer's tenant id) → customer id of customers.yaml. A locate
// job answers each tenant holding the subject with its customer from here; an http processor names the
// customer itself. connectors.yaml's key is tenants:.
type Tenants map[string]string

// TenantsField is the key of connectors.yaml that holds a processor's Tenants.
const TenantsField = "tenants"

// Holding returns the tenant with its customer, and false for a tenant the mapping does not name.
func (t Tenants) Holding(tenant string) (TenantHolding, bool) {
	cust, ok := t[tenant]
	return TenantHolding{Tenant: tenant, Customer: cust}, ok
}

// Customers returns the customer ids the mapping names, sorted, without repeats.
func (t Tenants) Customers() []string {
	return slices.Compact(slices.Sorted(maps.Values(t)))
}

// DecodeTenants reads a connector's tenants: mapping, recording the line of each tenant as
// tenants.TENANT; shape errors are reported with their lines. nil when the key is not given.
func DecodeTenants(sec *Section) Tenants {
	v := sec.Node(TenantsField)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		sec.Reported(TenantsField, "tenants must be a mapping of tenant id to customer id (t-acme: acme)")
		return nil
	}
	out := Tenants{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, e := v.Content[i], Resolve(v.Content[i+1])
		path := TenantsField + "." + k.Value
		if sec.Recorded(path) {
			sec.Bad(k.Line, "tenants: tenant %s given twice", k.Value)
			continue
		}
		sec.SetLine(path, k.Line)
		if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
			sec.Reported(path, "tenants: tenant %s must name one customer id of customers.yaml", k.Value)
			continue
		}
		out[k.Value] = e.Value
	}
	return out
}

// CheckTenants checks a connector's tenants: mapping against its role: a processor must map at least
// one tenant, each tenant and customer an id ([a-z0-9_-]+, as locate results carry them); any other
// role has no tenants. Problems name tenants or tenants.TENANT.
func CheckTenants(c Connector, t Tenants) []Problem {
	if c.Role != RoleProcessor {
		if len(t) > 0 && c.Role != "" { // a missing role is reported as such
			return []Problem{Problemf(TenantsField, "tenants are for processors (role: processor): a %s acts on the group's own data", c.Role)}
		}
		return nil
	}
	if len(t) == 0 {
		return []Problem{Problemf(TenantsField, "a processor of kind %s needs tenants: (tenant id: customer id of customers.yaml), so that locate can name the customer controlling each tenant", c.Kind)}
	}
	var ps []Problem
	for _, tenant := range slices.Sorted(maps.Keys(t)) {
		field := TenantsField + "." + tenant
		switch {
		case !idPattern.MatchString(tenant):
			ps = append(ps, Problemf(field, "tenants: tenant %q must match [a-z0-9_-]+", tenant))
		case !idPattern.MatchString(t[tenant]):
			ps = append(ps, Problemf(field, "tenants: tenant %s: customer %q must be a customer id of customers.yaml ([a-z0-9_-]+)", tenant, t[tenant]))
		}
	}
	return ps
}

// TenantMapper is implemented by the settings of a kind whose processors map their tenants to customers
// in connectors.yaml (Tenants): a program checks at start that customers.yaml lists every customer named.
type TenantMapper interface {
	TenantCustomers() Tenants
}

// CheckTenantJob holds a processor that dsrflow reaches itself to its customers' instructions: besides
// locate, a job acts in one tenant of t, and a job of the group's own systems names none. The error is
// EINVALID, for a person: retrying cannot cure it.
func CheckTenantJob(c Connector, t Tenants, job Job) error {
	processor := c.Role == RoleProcessor
	switch {
	case !processor && job.Tenant != "":
		return dsrflow.Errorf(dsrflow.EINVALID, "connector %s is not a processor: it has no customer tenants", c.ID)
	case !processor || job.Action == dsrflow.ActionLocate:
		return nil
	case job.Tenant == "":
		return dsrflow.Errorf(dsrflow.EINVALID, "connector %s is a processor: it acts only in the customer tenant a job names, on the customer's instruction, and this %s job names none", c.ID, job.Action)
	}
	if _, ok := t.Holding(job.Tenant); !ok {
		return dsrflow.Errorf(dsrflow.EINVALID, "connector %s has no tenant %s (tenants:)", c.ID, job.Tenant)
	}
	return nil
}
