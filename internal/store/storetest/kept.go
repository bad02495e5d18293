package storetest

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testKept: kept data is due the day after its last day kept, not before; purging it once takes it out
// of the due list for good, and its request's record shows when and by which job it went.
func testKept(t *testing.T, s *store.Store) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	first := store.Kept{JobID: "dsr_1:billing:erase", RequestID: "dsr_1", ConnectorID: "billing", Dataset: "invoices", Ref: "kept-a", Until: day(2030, 12, 31)}
	later := store.Kept{JobID: "dsr_1:billing:erase", RequestID: "dsr_1", ConnectorID: "billing", Dataset: "invoices", Ref: "kept-b", Until: day(2031, 12, 31)}
	other := store.Kept{JobID: "dsr_2:erp:erase", RequestID: "dsr_2", ConnectorID: "erp", Dataset: "invoices", Ref: "kept-c", Until: day(2030, 6, 30)}
	must(t, s.PutKept(ctx, []store.Kept{first, later, other}))
	must(t, s.PutKept(ctx, []store.Kept{first})) // a retried job records it again
	wantCode(t, s.PutKept(ctx, []store.Kept{{JobID: "x"}}), dsrflow.EINVALID)

	due := func(at time.Time) []string {
		t.Helper()
		got, err := s.DueKept(ctx, at, 100)
		must(t, err)
		var refs []string
		for _, k := range got {
			refs = append(refs, k.Ref)
		}
		return refs
	}
	if got := due(day(2030, 12, 31).Add(23 * time.Hour)); len(got) != 1 || got[0] != "kept-c" {
		t.Fatalf("due on 2030-12-31: %v, want only kept-c (its last day was 2030-06-30)", got)
	}
	if got := due(day(2031, 1, 1)); len(got) != 2 || got[0] != "kept-a" || got[1] != "kept-c" {
		t.Fatalf("due on 2031-01-01: %v, want kept-a (billing first), kept-c", got)
	}
	must(t, s.MarkKeptPurged(ctx, []store.Kept{first}, "retention-20310101-kept:billing:purge", ts))
	must(t, s.MarkKeptPurged(ctx, []store.Kept{first}, "retention-20310102-kept:billing:purge", ts.Add(time.Hour)))
	if got := due(day(2031, 1, 1)); len(got) != 1 || got[0] != "kept-c" {
		t.Fatalf("due after purging kept-a: %v", got)
	}
	list, err := s.ListKept(ctx, "dsr_1")
	must(t, err)
	if len(list) != 2 || list[0].Ref != "kept-a" || list[0].PurgedAt == nil || !list[0].PurgedAt.Equal(us(ts)) ||
		list[0].PurgeJob != "retention-20310101-kept:billing:purge" || !list[1].Until.Equal(day(2031, 12, 31)) || list[1].PurgedAt != nil {
		t.Fatalf("dsr_1's kept data: %+v", list)
	}
}
