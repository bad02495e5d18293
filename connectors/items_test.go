package connectors_test

import (
	"testing"

	"github.com/dsrflow/dsrflow"
	. "github.com/dsrflow/dsrflow/connectors"
)

// TestResultItemsAreChecked: a result's per-item outcomes name their item and use protocol v1's three
// outcomes; anything else is refused like any malformed result, so it never reaches an answer.
func TestResultItemsAreChecked(t *testing.T) {
	ok := Result{JobID: "j", Status: StatusCompleted, Items: []ItemResult{
		{Item: "user.name", Outcome: ItemDone},
		{Item: "user.contact.postal_address", Outcome: ItemNotHeld},
		{Item: "user.financial.invoice", Outcome: ItemNotPossible, Reason: "invoices are kept as issued"},
	}}
	if err := ok.Validate("j"); err != nil {
		t.Fatalf("valid items refused: %v", err)
	}
	for _, bad := range []ItemResult{{Item: "", Outcome: ItemDone}, {Item: "user.name", Outcome: "corrected"}, {Item: "user.name"}} {
		r := Result{JobID: "j", Status: StatusCompleted, Items: []ItemResult{bad}}
		if err := r.Validate("j"); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
			t.Errorf("item %+v: Validate = %v, want EINVALID", bad, err)
		}
	}
}
