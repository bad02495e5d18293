package activities_test

import (
	"context"
	"log/slog"
	"maps"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
)

// TestRecordJobAuditsTheCounts: a job's audit event says what it did, in total and per dataset, and
// keeps out dataset names a connector filled with anything but a plain name.
func TestRecordJobAuditsTheCounts(t *testing.T) {
	ctx := context.Background()
	const requestID = "dsr_counts"
	st := storeWithRequest(t, requestID, "erasure")
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	a := &activities.Store{Store: st}
	env.RegisterActivity(a)

	out := activities.JobOutcome{
		Connector: activities.ConnectorRef{ID: "erp", Owner: "Example Software AS", Role: connectors.RoleSubsidiary},
		JobID:     connectors.JobID(requestID, "erp", dsrflow.ActionErase), Action: dsrflow.ActionErase, Status: connectors.StatusCompleted,
		Counts: map[string]int{"deleted": 0, "masked": 1, "retained": 2},
		Datasets: []connectors.DatasetResult{
			{Dataset: "customers", Counts: map[string]int{"masked": 1}},
			{Dataset: "invoices", Counts: map[string]int{"retained": 2}, Truncated: true},
			{Dataset: "jane.doe@example.com", Counts: map[string]int{"masked": 1}},
		},
	}
	if _, err := env.ExecuteActivity(a.RecordJob, out); err != nil {
		t.Fatal(err)
	}
	events, err := st.ListAudit(ctx, requestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "job_completed" {
		t.Fatalf("audit = %+v", events)
	}
	want := map[string]string{"connector": "erp", "action": "erase",
		"count.deleted": "0", "count.masked": "1", "count.retained": "2",
		"count.customers.masked": "1", "count.invoices.retained": "2", "truncated.invoices": "true"}
	if !maps.Equal(events[0].Detail, want) {
		t.Fatalf("audit detail = %v\nwant %v", events[0].Detail, want)
	}
}
