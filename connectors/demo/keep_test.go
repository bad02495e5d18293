package demo

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connectors"
)

// TestDemoKeepRulesExist: every dataset the demo keeps names a keep rule that binds its system's owner,
// and an invoice of 2025-04-02 is kept until the end of 2030 (5 years after the financial year's end).
func TestDemoKeepRulesExist(t *testing.T) {
	kept := 0
	for _, sp := range specs {
		for dataset, ret := range sp.retained {
			k := keeping.For(sp.owner)
			rule, ok := k.Rule(ret.rule)
			if !ok {
				t.Fatalf("%s's %s: no keep rule %q binds %s", sp.id, dataset, ret.rule, sp.owner)
			}
			if len(rule.Check()) > 0 {
				t.Fatalf("%s's rule %+v: %v", sp.id, rule, rule.Check())
			}
			ex := rule.Exemption(dataset, ret.categories, ptr(time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)), k.Entity.FinancialYearEnd)
			if ex.Until == nil || !ex.Until.Equal(time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("%s's %s: invoice of 2025-04-02 kept until %v", sp.id, dataset, ex.Until)
			}
			kept++
		}
	}
	if kept == 0 {
		t.Fatal("the demo keeps nothing")
	}
	if r, _ := keeping.For("Example Billing AS").Rule("bookkeeping"); r.YearsAfter != connectors.YearsAfterFinancialYear {
		t.Fatalf("billing's bookkeeping rule %+v", r)
	}
}

func ptr[T any](v T) *T { return &v }
