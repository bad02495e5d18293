package workflows

import (
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue dsrflow's worker polls.
const TaskQueue = "dsrflow"

// Search attributes dsrflow sets on its workflows. They hold only the request's type, status, country,
// jurisdiction and due date: never personal data.
var (
	AttrType         = temporal.NewSearchAttributeKeyKeyword("DsrType")
	AttrStatus       = temporal.NewSearchAttributeKeyKeyword("DsrStatus")
	AttrCountry      = temporal.NewSearchAttributeKeyKeyword("DsrCountry")
	AttrJurisdiction = temporal.NewSearchAttributeKeyKeyword("DsrJurisdiction")
	AttrDueAt        = temporal.NewSearchAttributeKeyTime("DsrDueAt")
)

// SearchAttributes lists every custom search attribute dsrflow uses, so the embedded server and
// `worker` against an external cluster register the same set.
func SearchAttributes() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{AttrType, AttrStatus, AttrCountry, AttrJurisdiction, AttrDueAt}
}
