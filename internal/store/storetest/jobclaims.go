package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testJobClaims: a result is taken only for a job issued to that connector and still open, by exactly
// one of several concurrent callers; a finished job is never taken again, until it is issued anew.
func testJobClaims(t *testing.T, s *store.Store) {
	now := time.Now()
	putReq(t, s, "req_c", "access", "k-c", now, nil)
	job := store.Job{JobID: "req_c:crm:access", RequestID: "req_c", ConnectorID: "crm", Owner: "Example AS", Role: "subsidiary", Action: "access"}
	wantCode(t, s.ClaimJobResult(ctx, job.JobID, "crm", "completed", now), dsrflow.ECONFLICT) // never issued
	wantCode(t, s.IssueJob(ctx, store.Job{JobID: "req_none:crm:access", RequestID: "req_none", ConnectorID: "crm", Action: "access"}), dsrflow.ENOTFOUND)
	must(t, s.IssueJob(ctx, job))
	wantCode(t, s.ClaimJobResult(ctx, job.JobID, "billing", "completed", now), dsrflow.ECONFLICT) // another connector

	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.ClaimJobResult(ctx, job.JobID, "crm", "completed", now); err == nil {
				mu.Lock()
				taken++
				mu.Unlock()
			} else if dsrflow.ErrorCode(err) != dsrflow.ECONFLICT {
				t.Errorf("concurrent claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if taken != 1 {
		t.Fatalf("%d of 8 concurrent callbacks took the result, want 1", taken)
	}
	js, err := s.ListJobs(ctx, "req_c")
	if err != nil || len(js) != 1 || js[0].Status != "completed" {
		t.Fatalf("after the claim: %+v, %v", js, err)
	}
	// Undone after a failed delivery: open again, once.
	must(t, s.ReopenJob(ctx, job.JobID, "completed"))
	must(t, s.ClaimJobResult(ctx, job.JobID, "crm", "completed", now))
	wantCode(t, s.ClaimJobResult(ctx, job.JobID, "crm", "completed", now), dsrflow.ECONFLICT)
	// Issued again (a retried submission): open again.
	must(t, s.IssueJob(ctx, job))
	must(t, s.ClaimJobResult(ctx, job.JobID, "crm", "not_found", now))
}
