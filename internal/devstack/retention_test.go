package devstack_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/workflows"
)

// leads returns the last_activity dates of the subject's crm leads, sorted, asking the demo crm over
// the protocol.
func leads(t *testing.T, s *devstack.Stack, email, request string) []string {
	t.Helper()
	crm, _ := s.Demo.Registry().Get("crm")
	var c connectors.Client
	job := connectors.Job{Protocol: connectors.ProtocolVersion, ID: connectors.JobID(request, "crm", dsrflow.ActionAccess), RequestID: request,
		Connector: "crm", Action: dsrflow.ActionAccess, Identities: dsrflow.Identity{Email: email}, Deadline: time.Now().Add(time.Hour)}
	ep, _ := crm.Endpoint()
	res, err := c.Submit(context.Background(), ep, job)
	if err == nil && res.Status == connectors.StatusNotFound {
		return nil // nothing held: no contact either
	}
	if err != nil || res.Status != connectors.StatusCompleted {
		t.Fatalf("crm access for %s: %+v %v", request, res, err)
	}
	out := []string{} // a contact without leads: empty, not nil
	for _, r := range res.Records {
		if r.Dataset == "leads" {
			out = append(out, r.Fields["last_activity"])
		}
	}
	slices.Sort(out)
	return out
}

// TestRetentionScheduleSweepsTheDemoCRM: the schedule exists once the stack started; triggering it runs
// the sweep through the real server, which deletes the crm leads last active more than 24 months ago
// (jane's 30-month, john's 27-month and kari's 26-month) and only those, and with john's last lead his
// whole marketing contact (kari's stays: she is also a customer), and audits the counts. A restart finds
// the schedule in place.
func TestRetentionScheduleSweepsTheDemoCRM(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	ctx := context.Background()
	s := start(t, cfg)

	handle := s.Client.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	desc, err := handle.Describe(ctx)
	if err != nil {
		t.Fatalf("the retention schedule does not exist after start: %v", err)
	}
	if desc.Schedule.State.Paused || desc.Schedule.Policy.Overlap != enums.SCHEDULE_OVERLAP_POLICY_SKIP || !desc.Schedule.Policy.PauseOnFailure {
		t.Fatalf("schedule state %+v, policy %+v", desc.Schedule.State, desc.Schedule.Policy)
	}
	if len(desc.Info.NextActionTimes) == 0 {
		t.Fatal("no next run")
	}
	if next := desc.Info.NextActionTimes[0].UTC(); next.Hour() != 3 || next.Minute() != 0 || time.Until(next) > 24*time.Hour {
		t.Fatalf("next run %s, want the next 03:00 UTC", next)
	}

	day := func(monthsAgo int) string { return time.Now().UTC().AddDate(0, -monthsAgo, 0).Format(time.DateOnly) }
	if got := leads(t, s, jane, "before-jane"); !slices.Equal(got, []string{day(30), day(2)}) {
		t.Fatalf("jane's leads before the sweep: %v", got)
	}

	if err := handle.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var run *client.ScheduleWorkflowExecution
	waitFor(t, "the triggered sweep", func() bool {
		d, err := handle.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		run = d.Info.RecentActions[0].StartWorkflowResult
		return run != nil
	})
	var summary workflows.RetentionSummary
	if err := s.Client.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &summary); err != nil {
		t.Fatalf("sweep %s: %v", run.WorkflowID, err)
	}
	if len(summary.Connectors) != 1 || summary.Connectors[0].Connector != "crm" || summary.Connectors[0].Purged != 3 || summary.Connectors[0].Failed ||
		summary.Connectors[0].ContactsPurged != 1 || summary.Connectors[0].ContactsKept != 1 {
		t.Fatalf("summary %+v, want crm with 3 leads and 1 contact purged, 1 contact kept", summary)
	}

	if got := leads(t, s, jane, "after-jane"); !slices.Equal(got, []string{day(2)}) {
		t.Errorf("jane's leads after the sweep: %v, want only the 2-month one", got)
	}
	if got := leads(t, s, "john.roe@example.com", "after-john"); got != nil {
		t.Errorf("john's marketing contact survived the sweep: leads %v", got)
	}
	if got := leads(t, s, "kari.nordmann@example.com", "after-kari"); got == nil || len(got) != 0 {
		t.Errorf("kari, a customer: leads %v, want her contact without leads", got)
	}
	if got := leads(t, s, "ola.nordmann@example.com", "after-ola"); !slices.Equal(got, []string{day(5)}) {
		t.Errorf("ola's leads after the sweep: %v", got)
	}
	effects, err := s.Demo.Effects()
	if err != nil {
		t.Fatal(err)
	}
	if n := effects[connectors.JobID(summary.Sweep, "crm", dsrflow.ActionPurge)]; n != 1 {
		t.Errorf("the purge changed data %d times, want once", n)
	}
	events, err := s.Store.ListAudit(ctx, summary.Sweep)
	if err != nil {
		t.Fatal(err)
	}
	// The crm's purge, then the store's own record-retention pass (nothing closed three years ago yet).
	if len(events) != 2 || events[0].Action != "retention_purged" || events[0].Detail["connector"] != "crm" || events[0].Detail["purged"] != "3" ||
		events[0].Detail["contacts_purged"] != "1" || events[0].Detail["kept_for"] != "contract: the contact is also a customer's (purchase and delivery)" ||
		events[1].Action != "record_retention_done" || events[1].Detail["shredded"] != "0" {
		t.Fatalf("audit of %s: %+v", summary.Sweep, events)
	}
	stop(t, s)

	s = start(t, cfg)
	defer stop(t, s)
	if _, err := s.Client.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID).Describe(ctx); err != nil {
		t.Fatalf("schedule after restart: %v", err)
	}
}

// TestRetentionHistoryReplays: a sweep run through the real server by its schedule replays against the
// workflow code, as requests' do (TestHistoriesReplay); with DSR_RECORD_HISTORIES=DIR its decrypted
// history is written there as retention_sweep_whole_contact.json for workflows/testdata (retention_sweep.json is
// one recorded before the marketing rule covered the whole contact).
func TestRetentionHistoryReplays(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MasterKeys = keySpec("r", 3)
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	defer stop(t, s)
	ctx := context.Background()
	handle := s.Client.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	if err := handle.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var run *client.ScheduleWorkflowExecution
	waitFor(t, "the triggered sweep", func() bool {
		d, err := handle.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		run = d.Info.RecentActions[0].StartWorkflowResult
		return run != nil
	})
	var summary workflows.RetentionSummary
	if err := s.Client.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &summary); err != nil {
		t.Fatalf("sweep %s: %v", run.WorkflowID, err)
	}
	replayAndRecord(t, s, payload.NewCodec(keys), os.Getenv("DSR_RECORD_HISTORIES"), "retention_sweep_whole_contact", run.WorkflowID, workflows.Retention)
}
