package workflows_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

var (
	john = dsrflow.Identity{Email: "john.roe@example.com"}
	ola  = dsrflow.Identity{Email: "ola.nordmann@example.com"}
)

// approvedDisclosure is a disclosure of the given subjects that two members of legal approve in the
// first hours, recording the subject workflows it starts.
func approvedDisclosure(t *testing.T, subjects ...dsrflow.Identity) (*dharness, *[]string) {
	t.Helper()
	in := newDisclosureInput("TOSL-2026-1")
	in.Subjects = subjects
	h := newDisclosureHarness(t, in)
	h.vote(time.Hour, legal("token:legal-1", dsrflow.VoteApprove, "order is valid"))
	h.vote(2*time.Hour, legal("token:legal-2", dsrflow.VoteApprove, "order is valid"))
	started := &[]string{}
	h.env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if info.WorkflowType.Name != "DisclosureSubject" {
			t.Errorf("child workflow %s", info.WorkflowType.Name)
		}
		*started = append(*started, info.WorkflowExecution.ID)
	})
	return h, started
}

// sortedActions is the audit trail's actions, in an order that does not depend on which job finished
// first.
func sortedActions(h *dharness) []string {
	var out []string
	for _, e := range h.events() {
		out = append(out, e.Action)
	}
	slices.Sort(out)
	return out
}

// TestDisclosureRunsOneWorkflowPerSubject: three subjects, three subject workflows with ids made of the
// disclosure's id and the subject's number (no personal data), and everything the authority, the
// register and the subjects get is what the old shape (every job in the disclosure's own workflow)
// gave: the same jobs, bundle, register rows, statuses, audit trail and notices.
func TestDisclosureRunsOneWorkflowPerSubject(t *testing.T) {
	subjects := []dsrflow.Identity{jane, john, ola}
	// The comparison is of the shape: both without versionKinds' changes (tested on their own).
	h, started := approvedDisclosure(t, subjects...)
	h.env.OnGetVersion("h16auth-kinds", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	out := h.executeDisclosure()

	old, oldStarted := approvedDisclosure(t, subjects...)
	old.env.OnGetVersion("h16auth-kinds", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	old.env.OnGetVersion("disclosure-child-per-subject", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	oldOut := old.executeDisclosure()

	slices.Sort(*started) // the children start together; their order is the scheduler's
	eq(t, "subject workflows", *started, []string{disclosureID + ":s1", disclosureID + ":s2", disclosureID + ":s3"})
	eq(t, "subject workflows of the old shape", len(*oldStarted), 0)
	for _, id := range *started {
		for _, s := range subjects {
			if strings.Contains(id, s.Email) {
				t.Errorf("workflow id %s names a subject", id)
			}
		}
	}

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "outcome", out, oldOut)
	eq(t, "statuses", h.statuses(), old.statuses())
	eq(t, "bundles", h.bundles, old.bundles)
	eq(t, "bundle jobs", len(h.bundles[0].Outcomes), 6)
	eq(t, "register", h.register, old.register)
	eq(t, "mails", h.mails, old.mails)
	eq(t, "audit trail", sortedActions(h), sortedActions(old))
	jobIDs := func(h *dharness) []string {
		var ids []string
		for _, r := range h.runs {
			ids = append(ids, r.Arg.ID)
		}
		slices.Sort(ids)
		return ids
	}
	eq(t, "jobs", jobIDs(h), jobIDs(old))
	eq(t, "recorded jobs", len(h.recorded), 6)
}

// TestDisclosureSubjectHeldNowhere: no connector holds the second subject. Their workflow runs no job,
// the bundle holds the first subject's jobs, the disclosure completes, and only the first subject is
// told: nothing about the second was disclosed.
func TestDisclosureSubjectHeldNowhere(t *testing.T) {
	h, started := approvedDisclosure(t, jane, nobody)
	h.selectFor = func(in activities.SelectInput) []activities.ConnectorRef {
		if in.Identity.Email == nobody.Email {
			return nil
		}
		return []activities.ConnectorRef{crm, billing}
	}
	out := h.executeDisclosure()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "subject workflows", *started, []string{disclosureID + ":s1", disclosureID + ":s2"})
	var bundled []string
	for _, o := range h.bundles[0].Outcomes {
		bundled = append(bundled, o.JobID)
	}
	eq(t, "bundle jobs", bundled, []string{disclosureID + ":s1:billing:access", disclosureID + ":s1:crm:access"})
	eq(t, "register outcomes", outcomes(h.register), []dsrflow.DisclosureStatus{store.DisclosureInReview, store.DisclosureInReview, store.DisclosureApproved, store.DisclosureComplied})
	eq(t, "register subjects", h.register[3].Subjects, 2)
	eq(t, "register subjects disclosed", h.register[3].SubjectsDisclosed, 1)
	eq(t, "mails", len(h.mails), 1)
	eq(t, "mail to", h.mails[0].To, jane.Email)
	eq(t, "notified", h.eventsNamed("subjects_notified")[0].Detail["subjects"], "1")
}

// TestDisclosureCanceledWhileSubjectsRun: an operator cancels the disclosure in Temporal while a
// connector has accepted a job and not answered. The subjects' workflows are canceled with it, nothing
// is bundled or told, and the disclosure records its own end: canceled, with its audit event, and a
// review card without buttons.
func TestDisclosureCanceledWhileSubjectsRun(t *testing.T) {
	h, started := approvedDisclosure(t, jane, john)
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	h.poll = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	var canceled []string
	h.env.SetOnChildWorkflowCanceledListener(func(info *workflow.Info) {
		h.mu.Lock()
		defer h.mu.Unlock()
		canceled = append(canceled, info.WorkflowExecution.ID)
	})
	h.at(3*day, h.env.CancelWorkflow)
	h.env.ExecuteWorkflow(workflows.Disclosure, h.din)

	if !h.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not end")
	}
	if err := h.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error %v, want canceled", err)
	}
	eq(t, "subject workflows", *started, []string{disclosureID + ":s1", disclosureID + ":s2"})
	slices.Sort(canceled)
	eq(t, "canceled subject workflows", canceled, *started)
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusInReview, dsrflow.StatusFulfilling, dsrflow.StatusCanceled})
	last := h.transitions[len(h.transitions)-1]
	if last.Event.Action != "disclosure_canceled_by_operator" || last.Request.ClosedAt == nil || !last.Request.ClosedAt.Equal(start.Add(3*day)) {
		t.Errorf("last transition = %+v", last)
	}
	eq(t, "bundles", len(h.bundles), 0)
	eq(t, "mails", len(h.mails), 0)
	// The register ends truthfully: canceled, nothing disclosed (it had said approved).
	eq(t, "register outcomes", outcomes(h.register), []dsrflow.DisclosureStatus{store.DisclosureInReview, store.DisclosureInReview, store.DisclosureApproved, store.DisclosureCanceled})
	if final := h.cardUpdates[len(h.cardUpdates)-1].Card; len(final.Actions) != 0 || !strings.Contains(final.State, "Canceled") {
		t.Errorf("final card = %+v", final)
	}
	h.assertNoSubjectsOutsideMail()
}

// TestDisclosureCanceledInReview: canceled before a decision, the disclosure starts no subject
// workflow and records its end.
func TestDisclosureCanceledInReview(t *testing.T) {
	h := newDisclosureHarness(t, newDisclosureInput("TOSL-2026-1"))
	h.at(time.Hour, h.env.CancelWorkflow)
	h.env.ExecuteWorkflow(workflows.Disclosure, h.din)
	if err := h.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error %v, want canceled", err)
	}
	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusReceived, dsrflow.StatusInReview, dsrflow.StatusCanceled})
	eq(t, "register outcomes", outcomes(h.register), []dsrflow.DisclosureStatus{store.DisclosureInReview, store.DisclosureCanceled})
	eq(t, "jobs", len(h.runs), 0)
	eq(t, "selects", len(h.selects), 0)
}

// TestDisclosureGoesOnWhenASubjectWorkflowFails: the second subject's workflow fails. The disclosure is
// not left waiting: it audits and alerts the failure and answers the authority with the first
// subject's jobs.
func TestDisclosureGoesOnWhenASubjectWorkflowFails(t *testing.T) {
	h, _ := approvedDisclosure(t, jane, john)
	h.env.OnWorkflow(workflows.DisclosureSubject, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.DisclosureSubjectInput) (workflows.DisclosureSubjectOutcome, error) {
			if in.Subject == 2 {
				return workflows.DisclosureSubjectOutcome{}, errors.New("subject workflow failed")
			}
			return workflows.DisclosureSubject(ctx, in)
		})
	out := h.executeDisclosure()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	var bundled []string
	for _, o := range h.bundles[0].Outcomes {
		bundled = append(bundled, o.JobID)
	}
	eq(t, "bundle jobs", bundled, []string{disclosureID + ":s1:billing:access", disclosureID + ":s1:crm:access"})
	failed := h.eventsNamed("subject_jobs_failed")
	if len(failed) != 1 || failed[0].Detail["subject"] != "2" {
		t.Errorf("failure audit = %+v", failed)
	}
	eq(t, "alerts", len(h.alerts), 1)
	eq(t, "alert severity", h.alerts[0].Arg.Alert.Severity, "critical")
	eq(t, "mails", len(h.mails), 1)
}

// TestJobWorkflowIDs: a disclosure subject's job result goes to the subject's workflow first, then to
// the disclosure's; a request's to the request's.
func TestJobWorkflowIDs(t *testing.T) {
	eq(t, "subject's job", workflows.JobWorkflowIDs("dsr_d:s12:crm:access"), []string{"dsr_d:s12", "dsr_d"})
	eq(t, "request's job", workflows.JobWorkflowIDs("dsr_r:crm:erase"), []string{"dsr_r"})
	eq(t, "request's confirmed job", workflows.JobWorkflowIDs("dsr_r:crm:erase:confirmed"), []string{"dsr_r"})
	eq(t, "subject workflow id", workflows.DisclosureSubjectID("dsr_d", 3), "dsr_d:s3")
}

// TestDisclosureSubjectWithNothingDisclosedIsNotTold: both subjects' jobs complete, but the connectors
// returned nothing of the approved categories for the second: the bundle holds the first's data only.
// Only she is told, of her own categories; the register counts one subject disclosed.
func TestDisclosureSubjectWithNothingDisclosedIsNotTold(t *testing.T) {
	h, _ := approvedDisclosure(t, jane, nobody)
	h.bundled = func(o activities.JobOutcome) bool { return activities.SubjectOfJob(o.JobID) == 1 }
	out := h.executeDisclosure()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	eq(t, "mails", len(h.mails), 1)
	eq(t, "mail to", h.mails[0].To, jane.Email)
	for _, m := range h.mails {
		if m.To == nobody.Email {
			t.Errorf("a subject with nothing disclosed was told: %+v", m)
		}
	}
	if !strings.Contains(h.mails[0].Text, "Under a court order (TOSL-2026-1, Oslo District Court, 2026-02-27)") {
		t.Errorf("notice = %q", h.mails[0].Text)
	}
	last := h.register[len(h.register)-1]
	eq(t, "register outcome", last.Outcome, store.DisclosureComplied)
	eq(t, "register subjects named", last.Subjects, 2)
	eq(t, "register subjects disclosed", last.SubjectsDisclosed, 1)
	eq(t, "notified", h.eventsNamed("subjects_notified")[0].Detail["subjects"], "1")
}
