package demo

import (
	"maps"
	"slices"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/answer"
)

// TestDemoCategoriesAreDescribed: every data category of every demo dataset is one the built-in
// controller.yaml describes, so the demo's answers name each dataset's data in the controller's words
// (GDPR Art. 15(1)(b)), never as a raw taxonomy fragment ("ip address", "statistics", "job"), and the
// worker's start-up check (internal/app) lets the demo start.
func TestDemoCategoriesAreDescribed(t *testing.T) {
	c, err := answer.ParseController(dsrflow.DemoController)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range specs {
		for _, dataset := range slices.Sorted(maps.Keys(sp.datasets)) {
			for _, field := range slices.Sorted(maps.Keys(sp.datasets[dataset])) {
				if cat := sp.datasets[dataset][field]; !c.Describes(cat) {
					t.Errorf("connector %s dataset %s: category %s (field %s) is not described by controller.yaml", sp.id, dataset, cat, field)
				}
			}
		}
		for _, cat := range sp.categories() {
			if !c.Describes(cat) {
				t.Errorf("connector %s: category %s is not described by controller.yaml", sp.id, cat)
			}
		}
	}
}
