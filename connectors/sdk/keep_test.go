package sdk_test

import (
	"testing"
	"time"

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
