package workflows_test

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestRetentionPurgesKeptDataWhosePeriodEnded: a sweep on 2031-01-01 (the clock moved past the last day
// kept, 2030-12-31) sends each connector with due kept data one purge_kept job naming exactly those
// records, records them deleted once the connector confirms every one, and audits it; a connector that
// confirms fewer is escalated, its records left due, and the sweep fails.
func TestRetentionPurgesKeptDataWhosePeriodEnded(t *testing.T) {
	h := newSweepHarness(t)
	sweepDay := time.Date(2031, 1, 1, 3, 0, 0, 0, time.UTC)
	h.env.SetStartTime(sweepDay)
	lastDay := time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)
	due := []act.KeptRecord{
		{JobID: "dsr_1:billing:erase", RequestID: "dsr_1", Connector: "billing", Dataset: "invoices", Ref: "kept-a", Until: lastDay},
		{JobID: "dsr_2:billing:erase", RequestID: "dsr_2", Connector: "billing", Dataset: "invoices", Ref: "kept-b", Until: lastDay},
		{JobID: "dsr_3:erp:erase", RequestID: "dsr_3", Connector: "erp", Dataset: "ledger", Ref: "kept-c", Until: lastDay},
	}
	var asked time.Time
	h.due = func(in act.DueKeptInput) ([]act.KeptRecord, error) { asked = in.Now; return due, nil }
	h.run["billing"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		out := purged(job, connectors.StatusCompleted, 2)
		out.Counts["kept_refs"] = len(job.Kept)
		return out, nil
	}
	h.run["erp"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return purged(job, connectors.StatusCompleted, 0), nil // knows nothing of kept refs
	}
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})
	if err := h.env.GetWorkflowError(); err == nil {
		t.Fatal("the sweep succeeded although erp confirmed none of its kept records")
	}
	if !asked.Equal(sweepDay) {
		t.Fatalf("DueKept asked at %s, want the sweep's clock %s", asked, sweepDay)
	}
	jobs := map[string]connectors.Job{}
	for _, j := range h.runs {
		jobs[j.Connector] = j
	}
	billing := jobs["billing"]
	if billing.Action != dsrflow.ActionPurgeKept || billing.ID != "retention-20310101-kept:billing:purge_kept" || billing.Cutoff == nil || !billing.Cutoff.Equal(sweepDay) ||
		len(billing.Kept) != 2 || billing.Kept[0].Ref != "kept-a" || billing.Kept[1].Ref != "kept-b" || billing.Validate() != nil {
		t.Fatalf("billing's job %+v", billing)
	}
	if len(jobs["erp"].Kept) != 1 || jobs["erp"].Kept[0].Dataset != "ledger" {
		t.Fatalf("erp's job %+v", jobs["erp"])
	}
	if len(h.keptPurged) != 1 || h.keptPurged[0].PurgeJob != billing.ID || len(h.keptPurged[0].Records) != 2 || h.keptPurged[0].Records[1].RequestID != "dsr_2" {
		t.Fatalf("recorded deleted: %+v, want billing's two records only", h.keptPurged)
	}
	if e, ok := h.auditsOf("kept_data_purged")["billing"]; !ok || e.Detail["purged"] != "2" || e.Detail["records"] != "2" {
		t.Fatalf("billing's audit %+v", e)
	}
	if e, ok := h.auditsOf("retention_failed")["erp"]; !ok || e.Reason != "the connector confirmed 0 of the 1 kept records named" {
		t.Fatalf("erp's escalation %+v", e)
	}
}
