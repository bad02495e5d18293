package workflows

import (
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// Lifting a fulfilled restriction (GDPR Art. 18(3)): the subject is told before the restriction is
// lifted. One RestrictionLift workflow per request, under LiftWorkflowID: a second click, or a second
// front door, finds it rather than starting another. Its steps are durable, so a crash between the
// notice and the lift resumes at the lift, and the notice has a fixed message id, so a retried
// activity queues it once.

// Audit actions of a lift, on the restriction's request.
const (
	AuditLiftRequested = "restriction_lift_requested"
	AuditLiftNoticed   = "restriction_lift_notice_sent"
	AuditLifted        = "restriction_lifted"
)

// LiftInput starts a RestrictionLift. Identity and To are personal data: they live in the (encrypted)
// history only.
type LiftInput struct {
	RequestID string
	Country   string
	Link      string
	Reason    string
	Actor     Actor
	To        string
	Identity  dsrflow.Identity
	// Verified are the identity types the restriction's request verified (connectors.Job.Verified).
	Verified []string
	Policy   RequestPolicy
}

// LiftOutcome is a lift's result: its unrestrict jobs' statuses, by job id.
type LiftOutcome struct {
	Jobs map[string]connectors.Status
}

// LiftWorkflowID is the workflow id of request id's lift; its unrestrict jobs' ids begin with it.
func LiftWorkflowID(requestID string) string { return requestID + liftSuffix }

const liftSuffix = ":lift"

// liftWindow is how long the connectors have for their unrestrict jobs before a job escalates.
const liftWindow = 14 * 24 * time.Hour

// RestrictionLift tells the subject the restriction will be lifted, waits until the message has gone
// out, then runs an unrestrict job on every connector that declares the action, and audits the lift.
func RestrictionLift(ctx workflow.Context, in LiftInput) (LiftOutcome, error) {
	r := newJobRunner(in.RequestID, in.Country, in.Link, workflow.Now(ctx).Add(liftWindow), subjectRevision)
	r.workflowID = LiftWorkflowID(in.RequestID)
	r.policy = in.Policy
	r.endEscalated = true
	if err := r.registerTaskHandlers(ctx); err != nil {
		return LiftOutcome{}, err
	}
	r.receiveResults(ctx)
	r.audit(ctx, AuditLiftRequested, nil, in.Actor.ID, in.Reason)

	notice := act.LiftNoticeInput{RequestID: in.RequestID, Country: in.Country, To: in.To, Reason: in.Reason}
	if err := workflow.ExecuteActivity(activityOptions(ctx), answerActs.LiftNotice, notice).Get(ctx, nil); err != nil {
		return LiftOutcome{}, err
	}
	// Art. 18(3) wants the subject informed before: the lift waits for the outbox to deliver.
	if err := workflow.ExecuteActivity(sentOptions(ctx), answerActs.NoticeSent, notice).Get(ctx, nil); err != nil {
		return LiftOutcome{}, err
	}
	r.audit(ctx, AuditLiftNoticed, nil, "system", "")

	var refs []act.ConnectorRef
	sel := act.SelectInput{Action: dsrflow.ActionUnrestrict, Identity: in.Identity}
	if err := workflow.ExecuteLocalActivity(localOptions(ctx), connectorActs.Select, sel).Get(ctx, &refs); err != nil {
		return LiftOutcome{}, err
	}
	wg := workflow.NewWaitGroup(ctx)
	for _, ref := range refs {
		job := connectors.Job{
			Protocol: connectors.ProtocolVersion, ID: connectors.JobID(r.workflowID, ref.ID, dsrflow.ActionUnrestrict),
			RequestID: in.RequestID, Connector: ref.ID, Action: dsrflow.ActionUnrestrict, Identities: in.Identity,
			Verified: in.Verified, Deadline: r.due,
		}
		wg.Add(1)
		r.pending++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			out := r.runPrepared(ctx, ref, job)
			r.outcomes = append(r.outcomes, out)
			r.pending--
			r.recordJob(ctx, out)
		})
	}
	wg.Wait(ctx)
	jobs, failed := map[string]connectors.Status{}, []string{}
	for _, o := range r.sortedOutcomes() {
		jobs[o.JobID] = o.Status
		if o.Status == connectors.StatusFailed {
			failed = append(failed, o.Connector.ID)
		}
	}
	detail := map[string]string{"jobs": strconv.Itoa(len(jobs))}
	if len(failed) > 0 {
		// A person lifts it there by hand; the alerts of the escalated jobs said so.
		detail["failed"] = strings.Join(failed, ", ")
	}
	r.audit(ctx, AuditLifted, detail, in.Actor.ID, in.Reason)
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return LiftOutcome{Jobs: jobs}, nil
}

// sentOptions retry NoticeSent until the outbox has delivered the notice: an outage of the mail server
// delays the lift, never skips the notice.
func sentOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}
