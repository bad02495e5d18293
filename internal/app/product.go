package app

import (
	"fmt"
	"maps"
	"slices"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/secret"
)

// Product is what the worker and the front door need of the product's configuration.
type Product struct {
	// Keys encrypt Temporal payloads.
	Keys       *payload.KeyRing
	Key        secret.Key
	Connectors *connectors.Registry
	Controller answer.Controller
	// Customers are the business customers whose tenants processor connectors hold (customers.yaml).
	Customers *connectors.Customers
	// RecordRetention is how long a closed request's personal data is kept before it is shredded.
	RecordRetention connectors.Age
	// WorkflowCache is how many workflows the worker keeps in memory between steps; 0 is the SDK's default.
	WorkflowCache int
}

// LoadProduct reads the key, connectors.yaml, customers.yaml and the controller configuration. A key,
// registry or customers given by the caller (the dev stack's) are kept.
func LoadProduct(cfg config.Product, getenv func(string) string, p Product) (Product, error) {
	if p.Key == nil {
		k, err := secret.Parse(cfg.HMACKey)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_HMAC_KEY", Problem: err.Error()}
		}
		p.Key = k
	}
	if p.Keys == nil {
		keys, err := payload.ParseKeyRing(cfg.MasterKeys)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_MASTER_KEYS", Problem: err.Error()}
		}
		p.Keys = keys
	}
	if cfg.Connectors != "" {
		reg, err := connectors.Load(cfg.Connectors, getenv)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_CONNECTORS", Problem: err.Error()}
		}
		if p.Connectors != nil {
			// The dev stack's demo connectors and the file's work side by side; ids must not clash.
			if reg, err = connectors.NewRegistry(append(p.Connectors.List(), reg.List()...)...); err != nil {
				return Product{}, &config.Error{Var: "DSR_CONNECTORS", Problem: err.Error()}
			}
		}
		p.Connectors = reg
	}
	if p.Connectors == nil {
		reg, err := connectors.NewRegistry()
		if err != nil {
			return Product{}, err
		}
		p.Connectors = reg
	}
	var err error
	if cfg.Controller != "" {
		p.Controller, err = answer.LoadController(cfg.Controller)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_CONTROLLER", Problem: err.Error()}
		}
	} else if p.Controller, err = answer.ParseController(dsrflow.DemoController); err != nil {
		return Product{}, fmt.Errorf("built-in controller configuration: %w", err)
	}
	if cfg.Customers != "" {
		cs, err := connectors.LoadCustomers(cfg.Customers, getenv)
		if err != nil {
			return Product{}, &config.Error{Var: "DSR_CUSTOMERS", Problem: err.Error()}
		}
		if p.Customers != nil {
			// The dev stack's demo customers and the file's side by side, as its connectors; ids must not clash.
			if cs, err = connectors.NewCustomers(append(p.Customers.List(), cs.List()...)...); err != nil {
				return Product{}, &config.Error{Var: "DSR_CUSTOMERS", Problem: err.Error()}
			}
		}
		p.Customers = cs
	}
	if p.Customers == nil {
		p.Customers, _ = connectors.NewCustomers()
	}
	if err := checkProcessors(p.Connectors, p.Customers); err != nil {
		return Product{}, err
	}
	if err := checkCategories(p.Connectors, p.Controller); err != nil {
		return Product{}, err
	}
	p.WorkflowCache = cfg.WorkflowCache
	if err := p.setRecordRetention(cfg.RecordRetention); err != nil {
		return Product{}, err
	}
	return p, nil
}

// setRecordRetention reads DSR_RECORD_RETENTION and makes the answer to subjects say it: the period the
// store shreds after is the one the subject is told. A controller.yaml that states another period is a
// contradiction and stops the process.
func (p *Product) setRecordRetention(spec string) error {
	age, err := activities.DefaultRecordRetention, error(nil)
	if spec != "" {
		age, err = connectors.ParseAge(spec)
	}
	if err != nil || age == (connectors.Age{}) {
		return &config.Error{Var: "DSR_RECORD_RETENTION", Problem: fmt.Sprintf("%q is not a period of days, months or years above zero, like 3 years or 1095d", spec)}
	}
	text := RetentionText(age) + " after the request closes"
	if c := p.Controller.RecordRetention; c != "" && c != answer.DefaultRecordRetention && c != text {
		return &config.Error{Var: "DSR_RECORD_RETENTION", Problem: fmt.Sprintf("the controller configuration tells subjects %q, but the store keeps records %q: make them agree, or drop request_records_retention from the controller configuration", c, text)}
	}
	p.RecordRetention = age
	p.Controller.RecordRetention = text
	return nil
}

// RetentionText says a period as the answer to a subject does: "3 years", "18 months", "90 days".
func RetentionText(a connectors.Age) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case a.Days == 0 && a.Months%12 == 0:
		return plural(a.Months/12, "year")
	case a.Days == 0:
		return plural(a.Months, "month")
	case a.Months == 0:
		return plural(a.Days, "day")
	}
	return plural(a.Months, "month") + " and " + plural(a.Days, "day")
}

// checkCategories refuses a connector, of any kind, holding a data category the controller does not
// describe: it would reach the subject's answer unexplained, as a raw fragment of the taxonomy (GDPR
// Art. 15(1)(b)). The problem names the connector, the dataset when the kind names its datasets, and the
// category.
func checkCategories(reg *connectors.Registry, c answer.Controller) error {
	undescribed := func(id, dataset, cat string) error {
		where := "connector " + id
		if dataset != "" {
			where += " dataset " + dataset
		}
		return &config.Error{Var: "DSR_CONNECTORS", Problem: fmt.Sprintf("%s: category %s is not described by any of the controller's categories (DSR_CONTROLLER, categories: taxonomy)", where, cat)}
	}
	for _, conn := range reg.List() {
		if ds, ok := conn.Settings.(connectors.DatasetCategories); ok {
			for _, d := range ds.DatasetCategories() {
				for _, cat := range d.Categories {
					if !c.Describes(cat) {
						return undescribed(conn.ID, d.Dataset, cat)
					}
				}
			}
		}
		for _, cat := range conn.Categories {
			if !c.Describes(cat) {
				return undescribed(conn.ID, "", cat)
			}
		}
	}
	return nil
}

// checkProcessors refuses processor connectors without a customers registry: a tenant found could name
// no controller to route the request to. A processor that maps its tenants in connectors.yaml
// (connectors.TenantMapper: postgres, rest) must name customers that customers.yaml lists.
func checkProcessors(reg *connectors.Registry, cs *connectors.Customers) error {
	for _, conn := range reg.List() {
		if conn.Role != connectors.RoleProcessor {
			continue
		}
		if len(cs.List()) == 0 {
			return &config.Error{Var: "DSR_CUSTOMERS", Problem: fmt.Sprintf("connector %s is a processor: customers.yaml must list the customers whose tenants it holds", conn.ID)}
		}
		m, ok := conn.Settings.(connectors.TenantMapper)
		if !ok {
			continue
		}
		tenants := m.TenantCustomers()
		for _, tenant := range slices.Sorted(maps.Keys(tenants)) {
			if _, ok := cs.Get(tenants[tenant]); !ok {
				return &config.Error{Var: "DSR_CUSTOMERS", Problem: fmt.Sprintf("connector %s: tenants: tenant %s names customer %s, which customers.yaml does not list", conn.ID, tenant, tenants[tenant])}
			}
		}
	}
	return nil
}
