package sdk_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

func TestKeptCountsFromTheLatestRecord(t *testing.T) {
	sweden := connectors.KeepRule{Basis: "legal_obligation", Detail: "Bokföringslagen 7 kap. 2 §", Years: 7,
		YearsAfter: connectors.YearsAfterCalendarYearOfFinancialYear}
	dates := []time.Time{time.Date(2024, 11, 5, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC)}
	ex := sdk.Kept(sweden, connectors.YearEnd{}, "invoices", []string{"user.financial.invoice"}, dates...)
	if ex.Until == nil || !ex.Until.Equal(time.Date(2032, 12, 31, 0, 0, 0, 0, time.UTC)) || ex.Basis != "legal_obligation" || ex.Dataset != "invoices" {
		t.Fatalf("Kept = %+v (until %v)", ex, ex.Until)
	}
	if undated := sdk.Kept(sweden, connectors.YearEnd{}, "invoices", nil); undated.Until != nil {
		t.Fatalf("no dates: until %v", undated.Until)
	}
}

type keptPurger struct{}

func (keptPurger) PurgeKept(_ context.Context, job connectors.Job) (connectors.Result, error) {
	return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Counts: map[string]int{"purged": 1, "kept_refs": len(job.Kept)}}, nil
}

func TestActionsSupportPurgeKept(t *testing.T) {
	h, err := sdk.Actions(keptPurger{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.Supported(), []dsrflow.Action{dsrflow.ActionPurgeKept}) {
		t.Fatalf("supported %v", h.Supported())
	}
}
