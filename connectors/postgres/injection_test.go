package postgres

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// TestInjectionMatchesNothing: identities that look like SQL are bound as values, so they match nothing
// and change nothing; the intake accepts such addresses (RFC 5322 allows them).
func TestInjectionMatchesNothing(t *testing.T) {
	dsn, db := freshERP(t, false)
	c := openERP(t, erpYAML, dsn)
	before, invoices := customers(t, db), invoiceCount(t, db)
	for k, email := range []string{`x' OR '1'='1`, `"x' OR '1'='1"@example.com`, `jane.doe@example.com' --`, `'; DROP TABLE customers; --@example.com`} {
		id := dsrflow.Identity{Email: email}
		for _, action := range []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase} {
			// A request of its own for each identity: the same job id would answer from the job table.
			res := runJob(t, c, inRequest(job(action, id), fmt.Sprintf("r_%d", k)))
			if res.Status != connectors.StatusNotFound || len(res.Records) != 0 {
				t.Errorf("%s for %q = %s with %d records, want not_found and none", action, email, res.Status, len(res.Records))
			}
		}
	}
	if after := customers(t, db); !reflect.DeepEqual(after, before) {
		t.Fatalf("customers changed: %+v", after)
	}
	if after := invoiceCount(t, db); !reflect.DeepEqual(after, invoices) {
		t.Fatalf("invoices changed: %v", after)
	}
}
