package workflows

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// A disclosure's connector jobs run in one child workflow per subject named in the order
// (versionSubjects): the disclosure's history grows by a few events per subject whatever the
// connectors do, and each subject's history is that of its own jobs.

// subjectConcurrency bounds a disclosure's subject workflows running at once (far below the server's
// limit on a workflow's pending children, 2,000 by default); each runs up to jobConcurrency jobs.
const subjectConcurrency = 8

// subjectRevision is the revision of the request workflow's jobs that a subject's jobs run under:
// fixed escalation points, polls inside one activity, finite task reminders (RequestVersion 2).
const subjectRevision = 2

// DisclosureSubjectInput starts the workflow of one subject of a disclosure. Identity is personal data:
// it lives in the (encrypted) history only, never in ids.
type DisclosureSubjectInput struct {
	DisclosureID string
	// Subject is the subject's number in the order, from 1: it names the workflow and the jobs.
	Subject    int
	Identity   dsrflow.Identity
	Categories []string
	Country    string
	// Due is when the authority is to be answered; the jobs escalate the policy's margin before it.
	Due    time.Time
	Link   string
	Policy RequestPolicy
}

// DisclosureSubjectOutcome is a subject's workflow's result: its jobs' outcomes, by job id.
type DisclosureSubjectOutcome struct {
	Jobs []act.JobOutcome
}

// DisclosureSubjectID is the workflow id of a disclosure's n-th subject (from 1): the disclosure's id
// and the subject's number, as its job ids begin ("<disclosure>:s<n>:<connector>:access").
func DisclosureSubjectID(disclosureID string, n int) string {
	return fmt.Sprintf("%s:s%d", disclosureID, n)
}

// subjectJobID matches a disclosure subject's job id: "<disclosure>:s<n>:<connector>:<action>...".
var subjectJobID = regexp.MustCompile(`^([^:]+:s[0-9]+):[^:]+:[^:]+`)

// JobWorkflowIDs names the workflows a connector job's result may be signalled to, most likely first:
// a disclosure subject's workflow (DisclosureSubjectID) when the job id has that shape, then the
// request's (or the disclosure's: one of the old shape ran its jobs itself) — the job id up to its
// first colon. A request's job on a connector named like s1 also has the shape; its first id names no
// workflow, and the caller goes on to the next.
func JobWorkflowIDs(jobID string) []string {
	requestID, rest, _ := strings.Cut(jobID, ":")
	if strings.HasPrefix(rest, liftSuffix[1:]+":") {
		return []string{LiftWorkflowID(requestID), requestID}
	}
	if m := subjectJobID.FindStringSubmatch(jobID); m != nil {
		return []string{m[1], requestID}
	}
	return []string{requestID}
}

// DisclosureSubject runs one subject's access jobs on the connectors holding the disclosure's approved
// categories, with the request workflow's job runner: callbacks and polls, manual tasks answered by
// teams, an escalation at each job's point. A job escalated at its point ends failed (there is no
// resolution route for a disclosure's jobs), so the subject's workflow always ends and the disclosure
// reports what was not obtained. Canceled with the disclosure.
func DisclosureSubject(ctx workflow.Context, in DisclosureSubjectInput) (DisclosureSubjectOutcome, error) {
	r := newJobRunner(in.DisclosureID, in.Country, in.Link, in.Due, subjectRevision)
	r.workflowID = DisclosureSubjectID(in.DisclosureID, in.Subject)
	r.policy = in.Policy
	r.endEscalated = true
	if err := r.registerTaskHandlers(ctx); err != nil {
		return DisclosureSubjectOutcome{}, err
	}
	r.receiveResults(ctx)

	var refs []act.ConnectorRef
	sel := act.SelectInput{Action: dsrflow.ActionAccess, Identity: in.Identity, Categories: in.Categories}
	if err := workflow.ExecuteLocalActivity(localOptions(ctx), connectorActs.Select, sel).Get(ctx, &refs); err != nil {
		r.audit(ctx, "connector_selection_failed", map[string]string{"subject": fmt.Sprint(in.Subject)}, "system", "")
		return DisclosureSubjectOutcome{Jobs: []act.JobOutcome{}}, nil
	}
	sem := workflow.NewSemaphore(ctx, jobConcurrency)
	wg := workflow.NewWaitGroup(ctx)
	for _, ref := range refs {
		job := connectors.Job{
			Protocol: connectors.ProtocolVersion, ID: connectors.JobID(r.workflowID, ref.ID, dsrflow.ActionAccess),
			RequestID: in.DisclosureID, Connector: ref.ID, Action: dsrflow.ActionAccess, Identities: in.Identity,
			Categories: slices.Clone(in.Categories), Deadline: in.Due,
		}
		wg.Add(1)
		r.pending++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			if err := sem.Acquire(ctx, 1); err != nil {
				return
			}
			defer sem.Release(1)
			out := r.runPrepared(ctx, ref, job)
			r.outcomes = append(r.outcomes, out)
			r.pending--
			r.recordJob(ctx, out)
		})
	}
	wg.Wait(ctx)
	if ctx.Err() != nil {
		return DisclosureSubjectOutcome{}, temporal.NewCanceledError()
	}
	// Let a team's answer in flight return before the workflow completes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return DisclosureSubjectOutcome{Jobs: r.sortedOutcomes()}, nil
}

// runSubjects starts a DisclosureSubject workflow per subject, at most subjectConcurrency at once, and
// returns their jobs' outcomes by job id. A subject's workflow that fails (or is terminated) is
// audited and alerted, and the disclosure goes on with the others' outcomes: a person follows up, as
// for a failed job. On cancellation it returns once every started subject's workflow has ended.
func (d *disclosure) runSubjects(ctx workflow.Context) []act.JobOutcome {
	var policy RequestPolicy
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return CurrentPolicy() }).Get(&policy); err != nil {
		policy = CurrentPolicy()
	}
	outcomes := []act.JobOutcome{}
	d.disclosed = map[int]bool{}
	sem := workflow.NewSemaphore(ctx, subjectConcurrency)
	wg := workflow.NewWaitGroup(ctx)
	for i, subject := range d.in.Subjects {
		if sem.Acquire(ctx, 1) != nil {
			break
		}
		in := DisclosureSubjectInput{
			DisclosureID: d.in.ID, Subject: i + 1, Identity: subject, Categories: slices.Clone(d.categories),
			Country: d.in.Country, Due: d.in.Due, Link: d.in.Link, Policy: policy,
		}
		f := workflow.ExecuteChildWorkflow(subjectOptions(ctx, DisclosureSubjectID(d.in.ID, i+1)), DisclosureSubject, in)
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			var got DisclosureSubjectOutcome
			if err := f.Get(ctx, &got); err != nil {
				if ctx.Err() == nil {
					d.subjectFailed(ctx, in.Subject)
				}
				return
			}
			outcomes = append(outcomes, got.Jobs...)
			for _, o := range got.Jobs {
				if o.Status == connectors.StatusCompleted {
					d.disclosed[in.Subject] = true
				}
			}
		})
	}
	wg.Wait(ctx)
	slices.SortFunc(outcomes, func(a, b act.JobOutcome) int { return strings.Compare(a.JobID, b.JobID) })
	return outcomes
}

// subjectFailed reports a subject whose workflow failed: its jobs are missing from the bundle.
func (d *disclosure) subjectFailed(ctx workflow.Context, n int) {
	d.jobs.audit(ctx, "subject_jobs_failed", map[string]string{"subject": fmt.Sprint(n)}, "system", "")
	d.jobs.sendAlert(ctx, dsrflow.Alert{Severity: "critical", Link: d.in.Link,
		Title: fmt.Sprintf("Authority request %s: the jobs of subject %d failed", d.in.CaseRef, n),
		Text:  "The workflow running that subject's connector jobs failed; the bundle lacks that subject's data. A person must follow up."})
}

// subjectOptions starts a subject's workflow under its deterministic id. A canceled disclosure waits for
// its subjects' workflows to end; one that closes otherwise (terminated) asks them to cancel.
func subjectOptions(ctx workflow.Context, id string) workflow.Context {
	return workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:          id,
		WaitForCancellation: true,
		ParentClosePolicy:   enums.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
	})
}
