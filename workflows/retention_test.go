package workflows_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

var (
	leads24 = connectors.RetentionRule{Category: "user.marketing.lead", Age: connectors.Age{Months: 24}, ActivityField: "last_activity"}
	logs730 = connectors.RetentionRule{Category: "user.network.ip_address", Age: connectors.Age{Days: 730}, ActivityField: "last_seen"}
)

// sweepHarness runs the retention workflow with the connector and store activities mocked.
type sweepHarness struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	targets []activities.RetentionTarget
	// run answers Run for a connector id; attempt counts from 1. Default: completed, 2 purged.
	run map[string]func(job connectors.Job, attempt int) (activities.JobOutcome, error)

	// shred answers ShredExpiredRecords. Default: nothing expired.
	shred func(in activities.ShredInput) (activities.ShredResult, error)
	// due answers DueKept. Default: nothing kept is due.
	due        func(in act.DueKeptInput) ([]act.KeptRecord, error)
	keptPurged []act.KeptPurgedInput

	mu       sync.Mutex
	attempts map[string]int
	runs     []connectors.Job
	polls    []connectors.Job
	audits   []store.AuditEvent
	shreds   []activities.ShredInput
}

func newSweepHarness(t *testing.T, targets ...activities.RetentionTarget) *sweepHarness {
	var suite testsuite.WorkflowTestSuite
	h := &sweepHarness{t: t, env: suite.NewTestWorkflowEnvironment(), targets: targets,
		run: map[string]func(connectors.Job, int) (activities.JobOutcome, error){}, attempts: map[string]int{}}
	env := h.env
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)
	var (
		st   *activities.Store
		conn *activities.Connectors
	)
	env.OnActivity(conn.RetentionTargets, mock.Anything).Return(func(context.Context) ([]activities.RetentionTarget, error) {
		return h.targets, nil
	})
	env.OnActivity(conn.Run, mock.Anything, mock.Anything).Return(func(_ context.Context, job connectors.Job) (activities.JobOutcome, error) {
		h.mu.Lock()
		h.runs = append(h.runs, job)
		h.attempts[job.Connector]++
		attempt := h.attempts[job.Connector]
		fn := h.run[job.Connector]
		h.mu.Unlock()
		if fn != nil {
			return fn(job, attempt)
		}
		return purged(job, connectors.StatusCompleted, 2), nil
	})
	env.OnActivity(conn.Poll, mock.Anything, mock.Anything).Return(func(_ context.Context, job connectors.Job) (activities.JobOutcome, error) {
		h.mu.Lock()
		h.polls = append(h.polls, job)
		h.mu.Unlock()
		return purged(job, connectors.StatusCompleted, 1), nil
	})
	env.OnActivity(st.ShredExpiredRecords, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ShredInput) (activities.ShredResult, error) {
		h.mu.Lock()
		h.shreds = append(h.shreds, in)
		fn := h.shred
		h.mu.Unlock()
		if fn != nil {
			return fn(in)
		}
		return activities.ShredResult{Cutoff: in.Now.AddDate(-3, 0, 0), Retention: "36 months"}, nil
	})
	env.OnActivity(st.DueKept, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.DueKeptInput) ([]act.KeptRecord, error) {
		h.mu.Lock()
		fn := h.due
		h.mu.Unlock()
		if fn != nil {
			return fn(in)
		}
		return nil, nil
	})
	env.OnActivity(st.KeptPurged, mock.Anything, mock.Anything).Return(func(_ context.Context, in act.KeptPurgedInput) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.keptPurged = append(h.keptPurged, in)
		return nil
	})
	env.OnActivity(st.AppendAudit, mock.Anything, mock.Anything).Return(func(_ context.Context, e store.AuditEvent) (store.AuditEvent, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.audits = append(h.audits, e)
		return e, nil
	})
	return h
}

func purged(job connectors.Job, status connectors.Status, n int) activities.JobOutcome {
	return activities.JobOutcome{Connector: activities.ConnectorRef{ID: job.Connector}, JobID: job.ID, Action: job.Action,
		Status: status, Counts: map[string]int{"purged": n}, Attempts: 1}
}

func target(ref activities.ConnectorRef, rules ...connectors.RetentionRule) activities.RetentionTarget {
	return activities.RetentionTarget{Connector: ref, Rules: rules}
}

// auditsOf returns the audit events with the action, by connector.
func (h *sweepHarness) auditsOf(action string) map[string]store.AuditEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]store.AuditEvent{}
	for _, e := range h.audits {
		if e.Action == action {
			if _, dup := out[e.Detail["connector"]]; dup {
				h.t.Errorf("%s audited twice for %s", action, e.Detail["connector"])
			}
			out[e.Detail["connector"]] = e
		}
	}
	return out
}

func TestRetentionPurgesEveryConnectorWithRules(t *testing.T) {
	webinars := activities.ConnectorRef{ID: "webinars", Owner: "Events", Role: connectors.RoleSubsidiary}
	h := newSweepHarness(t, target(crm, leads24), target(webinars, logs730))
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var summary workflows.RetentionSummary
	if err := h.env.GetWorkflowResult(&summary); err != nil {
		t.Fatal(err)
	}

	// 24 calendar months before the workflow's clock (2026-03-02 09:00 UTC), to the second; 730 days
	// for a rule counted in days.
	wantCutoff := map[string]time.Time{
		"crm":      time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC),
		"webinars": start.Add(-730 * day),
	}
	if len(h.runs) != 2 {
		t.Fatalf("purge jobs: %+v, want one per connector with rules", h.runs)
	}
	for _, job := range h.runs {
		want := connectors.Job{
			Protocol: connectors.ProtocolVersion, ID: "retention-20260302:" + job.Connector + ":purge", RequestID: "retention-20260302",
			Connector: job.Connector, Action: dsrflow.ActionPurge, Deadline: start.Add(24 * time.Hour),
		}
		if job.ID != want.ID || job.RequestID != want.RequestID || job.Action != want.Action || job.Protocol != want.Protocol || !job.Deadline.Equal(want.Deadline) {
			t.Errorf("job %+v, want %+v", job, want)
		}
		if job.Cutoff == nil || !job.Cutoff.Equal(wantCutoff[job.Connector]) {
			t.Errorf("%s cutoff %v, want %s", job.Connector, job.Cutoff, wantCutoff[job.Connector])
		}
		if err := job.Validate(); err != nil {
			t.Errorf("%s: the job does not validate: %v", job.ID, err)
		}
		if req, conn, action, ok := connectors.ParseJobID(job.ID); !ok || req != "retention-20260302" || conn != job.Connector || action != dsrflow.ActionPurge {
			t.Errorf("ParseJobID(%s) = %s %s %s %v", job.ID, req, conn, action, ok)
		}
	}
	for _, job := range h.runs {
		if want := map[string]string{"crm": leads24.Category, "webinars": logs730.Category}[job.Connector]; !slices.Equal(job.Categories, []string{want}) {
			t.Errorf("%s job categories %v, want [%s]", job.Connector, job.Categories, want)
		}
	}

	done := h.auditsOf("retention_purged")
	for _, id := range []string{"crm", "webinars"} {
		e, ok := done[id]
		if !ok {
			t.Fatalf("no retention_purged audit for %s: %+v", id, h.audits)
		}
		if e.RequestID != "retention-20260302" || e.Detail["purged"] != "2" || e.Detail["cutoff"] != wantCutoff[id].Format(time.RFC3339) || e.Actor != "system" {
			t.Errorf("%s audit %+v", id, e)
		}
	}
	if len(h.auditsOf("retention_failed")) != 0 {
		t.Error("a successful sweep audited a failure")
	}
	if summary.Sweep != "retention-20260302" || len(summary.Connectors) != 2 || summary.Connectors[0].Connector != "crm" ||
		summary.Connectors[0].Purged != 2 || summary.Connectors[0].Failed || !summary.Connectors[0].Cutoff.Equal(wantCutoff["crm"]) {
		t.Errorf("summary %+v", summary)
	}
}

func TestRetentionCountsBackFromTheGivenDay(t *testing.T) {
	h := newSweepHarness(t, target(crm, leads24))
	// A leap day: 24 months earlier is 2022-02-29, which AddDate normalises to 2022-03-01.
	day := time.Date(2024, 2, 29, 3, 0, 0, 0, time.UTC)
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{Now: &day})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(h.runs) != 1 || h.runs[0].ID != "retention-20240229:crm:purge" || !h.runs[0].Cutoff.Equal(time.Date(2022, 3, 1, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("runs %+v", h.runs)
	}
}

func TestRetentionFailingConnectorIsRetriedThenEscalatedAndFailsTheSweep(t *testing.T) {
	h := newSweepHarness(t, target(billing, leads24), target(crm, leads24))
	h.run["crm"] = func(connectors.Job, int) (activities.JobOutcome, error) {
		return activities.JobOutcome{}, temporal.NewApplicationError("connector answered 503", "ConnectorUnavailable")
	}
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})

	err := h.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrRetentionFailed || !strings.Contains(appErr.Error(), "crm") || strings.Contains(appErr.Error(), "billing") {
		t.Fatalf("workflow error %v, want a %s naming crm only", err, workflows.ErrRetentionFailed)
	}
	var summary workflows.RetentionSummary
	if err := appErr.Details(&summary); err != nil || len(summary.Connectors) != 2 || !summary.Connectors[1].Failed || summary.Connectors[0].Failed {
		t.Fatalf("summary in the error: %+v, %v", summary, err)
	}
	if h.attempts["crm"] < 5 {
		t.Errorf("crm tried %d times, want retries with backoff", h.attempts["crm"])
	}
	if elapsed := h.env.Now().Sub(start); elapsed < workflows.RetentionPolicy.Window-2*time.Hour || elapsed > workflows.RetentionPolicy.Window+time.Hour {
		t.Errorf("gave up after %s, want about the %s window", elapsed, workflows.RetentionPolicy.Window)
	}
	failed := h.auditsOf("retention_failed")
	if e, ok := failed["crm"]; !ok || e.RequestID != "retention-20260302" || e.Reason != "the connector still failed when the retries ended" || e.Detail["cutoff"] != "2024-03-02T09:00:00Z" {
		t.Fatalf("crm's failure audit: %+v (all: %+v)", e, h.audits)
	}
	if _, ok := failed["billing"]; ok {
		t.Error("billing audited as failed")
	}
	if e, ok := h.auditsOf("retention_purged")["billing"]; !ok || e.Detail["purged"] != "2" {
		t.Fatalf("billing's purge was not audited: %+v", h.audits)
	}
}

func TestRetentionRefusedJobFailsAtOnce(t *testing.T) {
	h := newSweepHarness(t, target(crm, leads24))
	h.run["crm"] = func(connectors.Job, int) (activities.JobOutcome, error) {
		return activities.JobOutcome{}, temporal.NewNonRetryableApplicationError("action purge is not supported", activities.ErrPermanentConnector, nil)
	}
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})
	if err := h.env.GetWorkflowError(); err == nil {
		t.Fatal("the sweep succeeded")
	}
	if h.attempts["crm"] != 1 {
		t.Errorf("a refused purge was tried %d times", h.attempts["crm"])
	}
	if e := h.auditsOf("retention_failed")["crm"]; !strings.Contains(e.Reason, "refused the job: action purge is not supported") {
		t.Errorf("failure audit %+v", e)
	}
}

func TestRetentionPollsAnAcceptedPurge(t *testing.T) {
	h := newSweepHarness(t, target(crm, leads24))
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return purged(job, connectors.StatusAccepted, 0), nil
	}
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(h.polls) != 1 {
		t.Fatalf("polls %d, want 1", len(h.polls))
	}
	if e := h.auditsOf("retention_purged")["crm"]; e.Detail["purged"] != "1" {
		t.Errorf("audit %+v, want the polled count", e)
	}
}

// TestRetentionWithoutRulesPurgesNoConnector: no connector declares rules, so no purge job runs and no
// connector is audited; the store's own record-retention pass still runs, and is audited.
func TestRetentionWithoutRulesPurgesNoConnector(t *testing.T) {
	h := newSweepHarness(t)
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(h.runs) != 0 || len(h.shreds) != 1 || len(h.audits) != 1 || h.audits[0].Action != "record_retention_done" {
		t.Fatalf("runs %v shreds %v audits %v", h.runs, h.shreds, h.audits)
	}
}

func TestRetentionSchedule(t *testing.T) {
	o := workflows.RetentionSchedule()
	action, ok := o.Action.(*client.ScheduleWorkflowAction)
	if o.ID != "dsrflow-retention" || !ok || action.TaskQueue != workflows.TaskQueue || action.ID != "dsrflow-retention-run" {
		t.Fatalf("schedule %+v", o)
	}
	if o.Overlap != enums.SCHEDULE_OVERLAP_POLICY_SKIP || !o.PauseOnFailure {
		t.Errorf("overlap %v, pause on failure %v", o.Overlap, o.PauseOnFailure)
	}
	cal := o.Spec.Calendars
	if len(cal) != 1 || len(cal[0].Hour) != 1 || cal[0].Hour[0].Start != 3 || cal[0].Hour[0].End != 0 || len(cal[0].Minute) != 0 ||
		len(cal[0].DayOfMonth) != 0 || o.Spec.TimeZoneName != "" {
		t.Errorf("calendar %+v, want every day at 03:00 UTC", cal)
	}
}

// TestRetentionShredsExpiredRecords: the daily sweep also runs the store's record-retention pass,
// counted back from the sweep's day, and audits what it shredded (counts and dates only).
func TestRetentionShredsExpiredRecords(t *testing.T) {
	h := newSweepHarness(t, target(crm, leads24))
	h.shred = func(in activities.ShredInput) (activities.ShredResult, error) {
		return activities.ShredResult{Cutoff: in.Now.AddDate(0, -36, 0), Retention: "36 months", Shredded: 3}, nil
	}
	day := time.Date(2029, 6, 1, 3, 0, 0, 0, time.UTC)
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{Now: &day})
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var summary workflows.RetentionSummary
	if err := h.env.GetWorkflowResult(&summary); err != nil {
		t.Fatal(err)
	}
	if len(h.shreds) != 1 || !h.shreds[0].Now.Equal(day) {
		t.Fatalf("record-retention passes %+v, want one counted from %s", h.shreds, day)
	}
	want := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	if r := summary.Records; r == nil || r.Shredded != 3 || !r.Cutoff.Equal(want) || r.Failed {
		t.Fatalf("summary records %+v", summary.Records)
	}
	var done []store.AuditEvent
	for _, e := range h.audits {
		if e.Action == "record_retention_done" {
			done = append(done, e)
		}
	}
	if len(done) != 1 || done[0].Detail["shredded"] != "3" || done[0].Detail["cutoff"] != want.Format(time.RFC3339) || done[0].RequestID != "retention-20290601" {
		t.Fatalf("record_retention_done audits %+v", done)
	}
}

// TestRetentionRecordPassFailingFailsTheSweep: a store that keeps failing is retried within the window,
// then audited and escalated; the sweep fails (pausing the schedule), the connectors' purges still ran.
func TestRetentionRecordPassFailingFailsTheSweep(t *testing.T) {
	h := newSweepHarness(t, target(crm, leads24))
	h.shred = func(activities.ShredInput) (activities.ShredResult, error) {
		return activities.ShredResult{}, errors.New("store unavailable")
	}
	h.env.ExecuteWorkflow(workflows.Retention, workflows.RetentionInput{})
	err := h.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrRetentionFailed || !strings.Contains(appErr.Error(), "record retention") {
		t.Fatalf("workflow error %v, want a %s naming the record retention", err, workflows.ErrRetentionFailed)
	}
	if len(h.shreds) < 2 {
		t.Fatalf("the record-retention pass ran %d times, want retries", len(h.shreds))
	}
	failed := 0
	for _, e := range h.audits {
		if e.Action == "record_retention_failed" {
			failed++
		}
	}
	if failed != 1 || len(h.auditsOf("retention_purged")) != 1 {
		t.Fatalf("audits %+v", h.audits)
	}
}
