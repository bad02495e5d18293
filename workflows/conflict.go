package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// Identity binding (issue 14): only the identities the request's verification confirmed select a
// subject's records; the others (a customer id, a phone number) may only confirm or extend them, and a
// connector answers identity_conflict when one of them matches someone else's record.

// verifiedTypes names the identity types of the request that its verification confirmed, for the jobs'
// Verified list:
//   - an emailed code confirms the email only (the attack of issue 14 added another customer's id to a
//     request verified for the attacker's own address);
//   - an agent's attestation confirms every identifier the agent entered: the agent vouches, with a
//     reason on record, for the person and the identifiers they gave;
//   - an eID verification confirms what the broker's ID token said (the national id's keyed hash, the
//     name and birth date it gave) and the email: the status page it was done on is reached only by
//     the link mailed to that address (eid.go);
//   - a request that needs no verification (opt-outs, dsrflow.DefaultVerification) acts on every
//     identifier given, as before: it returns nothing and only stops processing.
//
// An emailed code without an email (never made by the front door) verifies nothing: the connector
// client refuses such a job (connectors.Job.Validate), and it escalates, rather than trusting every
// identifier.
func (r *request) verifiedTypes() []string {
	switch r.in.Verification {
	case dsrflow.VerifyAgentAttested, dsrflow.VerifyNone:
		// Types ranges over the customer ids but returns them sorted: the same list on every replay.
		return r.in.Identity.Types() //workflowcheck:ignore
	case dsrflow.VerifyEID:
		return slices.Clone(r.in.Verified)
	}
	if r.in.Identity.Email == "" {
		return []string{}
	}
	return []string{dsrflow.IdentityEmail}
}

// versionConflict marks the histories that report identity conflicts; the status did not exist before,
// so no earlier history reaches it, but its audit event and alert are new commands all the same.
const versionConflict = "identity-conflict-reported"

// versionConflictTask marks the histories (revision 2) in which a conflicted job waits for an agent's
// resolution (ResolveConfirm, ResolveDrop) as a task, instead of ending identity_conflict at once.
const versionConflictTask = "identity-conflict-task"

// Resolutions of a job that ended identity_conflict (ResolveJobInput.Action).
const (
	// ResolveConfirm: the agent confirmed with the subject that the job's identifiers are theirs (a
	// reason is required). The job runs again under a new job id with every identifier verified.
	ResolveConfirm = "confirm"
	// ResolveDrop: the job runs again under a new job id without the unverified identifiers.
	ResolveDrop = "drop"
)

// TaskIdentityConflict is the TaskView.Kind of a job that ended identity_conflict and waits for an
// agent: it is resolved through UpdateResolveJob (confirm or drop), never by a team's answer.
const TaskIdentityConflict = "identity_conflict"

// Statuses of an identity-conflict task once resolved.
const (
	TaskConfirmed = "confirmed"
	TaskDropped   = "dropped"
)

// conflicted reports a job that ended identity_conflict: an audit event naming the connector and the
// action (never the identifier) and an alert. wait reports that the job now waits for an agent's
// resolution (revision 2, from versionConflictTask); otherwise the outcome stays identity_conflict: the
// job is not done, its connector's records are not in the answer or the export (the connector returned
// none), and the answer says that system has not answered yet and why.
func (r *request) conflicted(ctx workflow.Context, ref act.ConnectorRef, out act.JobOutcome) (wait bool) {
	if out.Status != connectors.StatusIdentityConflict {
		return false
	}
	if workflow.GetVersion(ctx, versionConflict, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false
	}
	wait = r.bounded() && workflow.GetVersion(ctx, versionConflictTask, workflow.DefaultVersion, 1) == 1
	r.audit(ctx, "identity_conflict", map[string]string{"connector": ref.ID, "action": string(out.Action)}, "system", out.Detail)
	if r.notifies(ctx) {
		a := dsrflow.Alert{
			Severity: "critical", Link: r.in.Link,
			Title: fmt.Sprintf("Identity conflict: connector %s did not run the %s job of request %s", ref.ID, out.Action, r.in.ID),
			Text: "An identifier given with the request (not verified) matches a record that the verified identity does not reach (" + ref.Owner + "). " +
				"Nothing of that record was returned. Confirm the identifier with the subject and start a new request for this system, attested with it or without it.",
		}
		if wait {
			a.Link = r.taskLink(conflictTaskID(out.JobID))
			a.Text = "An identifier given with the request (not verified) matches a record that the verified identity does not reach (" + ref.Owner + "). " +
				"Nothing of that record was returned, and the request waits. Confirm the identifier with the subject and resolve the job with confirm (with the reason), or drop the identifier: " +
				"starter job resolve " + r.in.ID + " " + strings.TrimPrefix(out.JobID, r.in.ID+":") + " --confirm-identifiers --reason R | --drop-identifiers"
		}
		r.sendAlert(ctx, a)
	}
	return wait
}

// conflictTaskID is the task id of a conflicted job: its job id with dots, and ".conflict".
func conflictTaskID(jobID string) string {
	return strings.ReplaceAll(jobID, ":", ".") + ".conflict"
}

// runResolvingConflicts runs a request's job and, while it ends identity_conflict and waits
// (conflicted), gives it to an agent as a task and runs it again as they resolve it: confirmed, every
// identifier verified; dropped, without the unverified ones. Each run has its own job id, so the
// connector runs it afresh; the conflicted run's outcome stays recorded under its own id.
func (r *request) runResolvingConflicts(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job) act.JobOutcome {
	return r.resolvingConflicts(ctx, ref, job, r.runPrepared(ctx, ref, job))
}

// resolvingConflicts goes on from a run of job that ended with out.
func (r *request) resolvingConflicts(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job, out act.JobOutcome) act.JobOutcome {
	for {
		if !r.conflicted(ctx, ref, out) {
			return out
		}
		r.recordJob(ctx, out)
		out.Recorded = true
		next, ok := r.awaitConflictResolution(ctx, ref, job, out, nil)
		if !ok {
			return out
		}
		job = next
		out = r.runPrepared(ctx, ref, job)
	}
}

// awaitConflictResolution opens the conflicted job's task (or goes on with resumed, the task a previous
// run opened) and waits for an agent's confirm or drop (UpdateResolveJob), a safe point to continue as
// new. It returns the job to run next, or false when the request was canceled first.
// Nothing but a person ends the wait: the request is not answered before (the overdue escalations of
// trackDeadline go on past the due date, as for any job waiting for a person).
func (r *request) awaitConflictResolution(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job, out act.JobOutcome, resumed *task) (connectors.Job, bool) {
	t := resumed
	if t == nil {
		t = r.openConflictTask(ctx, ref, job)
	}
	e := r.escalated(job.ID)
	if e == nil || !e.conflict {
		e = &escalation{jobID: job.ID, conflict: true}
		r.escalations = append(r.escalations, e)
	}
	defer func() {
		r.escalations = slices.DeleteFunc(r.escalations, func(x *escalation) bool { return x == e })
	}()
	unpark := r.park(CarriedJob{Ref: ref, Job: job, Wait: waitConflict, Conflicted: &out}, func() bool { return e.resolved == nil })
	_ = workflow.Await(ctx, func() bool { return e.resolved != nil })
	unpark()
	if e.resolved == nil {
		return job, false
	}
	res := *e.resolved
	now := workflow.Now(ctx).UTC()
	t.view.By, t.view.Reason, t.view.Answered = res.Actor.ID, strings.TrimSpace(res.Reason), &now

	next := job
	next.Verified = slices.Clone(job.Verified)
	if res.Action == ResolveConfirm {
		t.view.Status = TaskConfirmed
		next.ID = job.ID + ":confirmed"
		// Types returns the customer ids sorted: the same list on every replay.
		next.Verified = job.Identities.Types() //workflowcheck:ignore
	} else {
		t.view.Status = TaskDropped
		next.ID = job.ID + ":dropped"
		// Split keeps the verified identities in the order Types gives them, sorted.
		next.Identities, _ = job.Split() //workflowcheck:ignore
	}
	return next, true
}

// openConflictTask opens the task of a conflicted job for an agent.
func (r *request) openConflictTask(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job) *task {
	t := &task{view: TaskView{
		ID: conflictTaskID(job.ID), Kind: TaskIdentityConflict, JobID: job.ID, RequestID: r.in.ID, Connector: ref.ID, Owner: ref.Owner,
		Instructions: "An identifier given with the request, not verified, matches someone else's record in this system; nothing of it was returned. " +
			"Ask the subject whether the identifiers marked not verified are theirs. If they confirm, resolve it with confirm and say how they confirmed it; " +
			"otherwise drop the identifiers: the system is searched again with the verified ones only.",
		Action: job.Action, Identity: job.Identities, Verified: verifiedOf(job), Due: r.due, Created: workflow.Now(ctx).UTC(), Status: TaskOpen,
	}}
	r.tasks = append(r.tasks, t)
	detail := map[string]string{"connector": ref.ID, "action": string(job.Action), "task": t.view.ID}
	r.audit(ctx, "task_created", detail, "system", "")
	return t
}

// verifiedOf is the job's verified identity types: all of them when the job names none (protocol v1:
// every identity is then trusted).
func verifiedOf(job connectors.Job) []string {
	if job.Verified == nil {
		// Types returns the customer ids sorted: the same list on every replay.
		return job.Identities.Types() //workflowcheck:ignore
	}
	return slices.Clone(job.Verified)
}
