package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// Message names of manual tasks, in the request and disclosure workflows.
const (
	// UpdateTask carries a team's answer to a task as a dsrflow.Vote (done, nothing_found, cannot) and
	// answers a dsrflow.VoteOutcome.
	UpdateTask = "task"
	// QueryTasks answers the workflow's tasks as []TaskView.
	QueryTasks = "tasks"
)

// Task statuses besides the answers (dsrflow.VoteDone, VoteNothingFound, VoteCannot) and the
// resolutions of an identity conflict (TaskConfirmed, TaskDropped).
const TaskOpen = "open"

// TaskClosed is a task no one needs to answer any more: its request was refused (Reason says so).
const TaskClosed = "closed"

// TaskManual is the TaskView.Kind of a manual connector's job, answered by its team (UpdateTask).
const TaskManual = "manual"

// taskRemindEvery is how many working days a task waits between reminders.
const taskRemindEvery = 2

// TaskView is a manual task as an authenticated agent sees it in the front door: with the subject's
// identity, which no card shows.
type TaskView struct {
	// ID is the review id: "<workflow id>.<connector>"; a disclosure's N-th subject's workflow id is
	// "<disclosure id>:s<N>" (DisclosureSubjectID), and a disclosure of the old shape added ".s<N>".
	ID string
	// Kind is TaskManual or TaskIdentityConflict (resolved through UpdateResolveJob).
	Kind         string
	JobID        string
	RequestID    string
	Connector    string
	Owner        string
	Channel      string
	Instructions string
	Action       dsrflow.Action
	Identity     dsrflow.Identity
	// Verified names the identity types of Identity that the request's verification confirmed (as
	// connectors.Job.Verified): only these select records; the others may only confirm them.
	Verified    []string
	Corrections map[string]string
	Purposes    []string
	Categories  []string
	Due         time.Time
	Created     time.Time
	Status      string
	By, Reason  string
	Answered    *time.Time
	// Records is how many records the team attached to its done (an access task), and RecordsRef the
	// store key the front door put them under (dsrflow.Vote.RecordsRef); the records are never here.
	Records    int    `json:",omitempty"`
	RecordsRef string `json:",omitempty"`
}

// changeTaskRecords is the change id of a team's records filed as its access task's result.
const changeTaskRecords = "h17-task-records"

type task struct {
	view TaskView
	ref  dsrflow.CardRef
}

// TaskWorkflowID is the workflow a task's review id belongs to.
func TaskWorkflowID(reviewID string) string {
	id, _, _ := strings.Cut(reviewID, ".")
	return id
}

func (r *jobRunner) registerTaskHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryTasks, func() ([]TaskView, error) {
		out := make([]TaskView, 0, len(r.tasks))
		for _, t := range r.tasks {
			out = append(out, t.view)
		}
		return out, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateTask, r.onTask, workflow.UpdateHandlerOptions{Validator: r.validateTask})
}

func (r *jobRunner) task(id string) *task {
	for _, t := range r.tasks {
		if t.view.ID == id {
			return t
		}
	}
	return nil
}

func (r *jobRunner) validateTask(v dsrflow.Vote) error {
	t := r.task(v.ReviewID)
	switch {
	case t == nil:
		return rejectf(dsrflow.ENOTFOUND, "no open task %s", v.ReviewID)
	case t.view.Kind == TaskIdentityConflict:
		return rejectf(dsrflow.EINVALID, "task %s is an identity conflict: resolve its job %s with confirm or drop", v.ReviewID, t.view.JobID)
	case t.view.Status == TaskClosed:
		return refuse("task %s is closed: %s", v.ReviewID, t.view.Reason)
	case t.view.Status != TaskOpen:
		return refuse("task %s is already answered: %s", v.ReviewID, t.view.Status)
	case strings.TrimSpace(v.Reviewer) == "":
		return rejectf(dsrflow.EINVALID, "an answer needs who gives it")
	case v.Action != dsrflow.VoteDone && v.Action != dsrflow.VoteNothingFound && v.Action != dsrflow.VoteCannot:
		return rejectf(dsrflow.EINVALID, "a task's answer is done, nothing_found or cannot")
	case v.Action.NeedsReason() && strings.TrimSpace(v.Reason) == "":
		return rejectf(dsrflow.EINVALID, "cannot needs a reason")
	case v.Records > 0 && v.Action != dsrflow.VoteDone:
		return rejectf(dsrflow.EINVALID, "records go with done only")
	case v.Records > 0 && t.view.Action != dsrflow.ActionAccess:
		return rejectf(dsrflow.EINVALID, "task %s is a %s task: only an access task's answer carries records", v.ReviewID, t.view.Action)
	case v.Records > 0 && v.RecordsRef == "", v.Records < 0:
		return rejectf(dsrflow.EINVALID, "records need the key they are stored under")
	}
	return nil
}

func (r *jobRunner) onTask(ctx workflow.Context, v dsrflow.Vote) (dsrflow.VoteOutcome, error) {
	t := r.task(v.ReviewID)
	if t == nil || t.view.Status != TaskOpen || t.view.Kind == TaskIdentityConflict {
		return dsrflow.VoteOutcome{Accepted: false, Code: dsrflow.ECONFLICT, Message: "this task is already answered"}, nil
	}
	now := workflow.Now(ctx).UTC()
	t.view.Status, t.view.By, t.view.Reason, t.view.Answered = string(v.Action), v.Reviewer, strings.TrimSpace(v.Reason), &now
	if v.Records > 0 {
		t.view.Records, t.view.RecordsRef = v.Records, v.RecordsRef
	}
	card := r.taskCard(t)
	return dsrflow.VoteOutcome{Accepted: true, Message: card.State, Card: &card}, nil
}

// runTask gives a manual connector's job to its team as a task card, reminds them every 2 working days,
// escalates when the request's due date nears, and returns the job's outcome from their answer.
func (r *jobRunner) runTask(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job) act.JobOutcome {
	return r.runTaskFrom(ctx, ref, job, nil)
}

// runTaskFrom runs a manual connector's job, or goes on with the task a previous run carried (resumed):
// its reminders sent, its escalation, and the wait under way.
func (r *jobRunner) runTaskFrom(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job, resumed *CarriedJob) act.JobOutcome {
	var t *task
	if resumed != nil {
		t = r.task(resumed.TaskID)
	}
	if t == nil {
		t, resumed = r.openTask(ctx, ref, job), nil
	}
	detail := map[string]string{"connector": ref.ID, "action": string(job.Action), "task": t.view.ID}

	answered := func() bool { return t.view.Status != TaskOpen }
	escalated := false
	reminders := 0
	var next time.Time
	var escalation bool
	if resumed != nil {
		escalated, reminders, next, escalation = resumed.Escalated, resumed.Reminders, resumed.Next, resumed.Escalation
	}
	for !answered() && ctx.Err() == nil {
		if resumed == nil {
			escalateAt := r.due.Add(-r.policy.JobMargin)
			remindersDone := r.bounded() && reminders >= r.policy.TaskReminders
			if remindersDone {
				// Revision 2 reminds a team a few times; then only the escalation is left, then the wait.
				if escalated {
					unpark := r.park(CarriedJob{Ref: ref, Job: job, Wait: waitTask, TaskID: t.view.ID, Reminders: reminders, Escalated: true}, func() bool { return !answered() })
					_ = workflow.Await(ctx, answered)
					unpark()
					continue
				}
				next = escalateAt
			} else {
				wd := act.WorkingDaysInput{From: workflow.Now(ctx), Days: taskRemindEvery, Country: r.country}
				if err := workflow.ExecuteLocalActivity(localOptions(ctx), reviewActs.WorkingDaysLater, wd).Get(ctx, &next); err != nil {
					next = workflow.Now(ctx).Add(taskRemindEvery * 24 * time.Hour)
				}
			}
			escalation = !escalated && (remindersDone || escalateAt.Before(next))
			if escalation {
				next = escalateAt
			}
		} else if next.IsZero() {
			// Carried while waiting after the reminders and the escalation: only the answer is left.
			resumed = nil
			unpark := r.park(CarriedJob{Ref: ref, Job: job, Wait: waitTask, TaskID: t.view.ID, Reminders: reminders, Escalated: true}, func() bool { return !answered() })
			_ = workflow.Await(ctx, answered)
			unpark()
			continue
		}
		resumed = nil
		until := next
		unpark := r.park(CarriedJob{Ref: ref, Job: job, Wait: waitTask, TaskID: t.view.ID, Reminders: reminders, Escalated: escalated, Next: until, Escalation: escalation},
			func() bool { return !answered() && workflow.Now(ctx).Before(until) })
		woke := r.awaitUntil(ctx, next, answered)
		unpark()
		if woke {
			break
		}
		if escalation {
			escalated = true
			r.audit(ctx, "task_escalated", detail, "system", "")
			r.sendAlert(ctx, dsrflow.Alert{Severity: "critical", Link: r.taskLink(t.view.ID),
				Title: fmt.Sprintf("Task %s for %s is still open and request %s is due %s", t.view.ID, ref.Owner, r.id, r.due.UTC().Format("2006-01-02")),
				Text:  "The team has not answered; the request's due date is near."})
			continue
		}
		reminders++
		r.audit(ctx, "task_reminder", detail, "system", "")
		r.sendAlert(ctx, dsrflow.Alert{Severity: "warning", Link: r.taskLink(t.view.ID),
			Title: fmt.Sprintf("Reminder: task %s for %s is still open", t.view.ID, ref.Owner),
			Text:  fmt.Sprintf("A %s job of request %s, due %s.", job.Action, r.id, r.due.UTC().Format("2006-01-02"))})
	}
	return r.taskOutcome(ctx, ref, job, t, detail)
}

// taskID is the id of a job's task: the workflow's id and what the job id adds to it:
// "<request>.<connector>", or "<disclosure>:s<N>.<connector>" in a disclosure subject's workflow.
func (r *jobRunner) taskID(job connectors.Job) string {
	part := strings.TrimSuffix(strings.TrimPrefix(job.ID, r.workflowID+":"), ":"+string(job.Action))
	ids := strings.Split(part, ":")
	// A disclosure of the old shape (runJobsInOne) ran its subjects' jobs itself: the job id puts
	// the subject before the connector, the task id puts it after. Delete with that branch.
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	return r.workflowID + "." + strings.Join(ids, ".")
}

// openTask gives a job to its team: the task, its audit event and its card.
func (r *jobRunner) openTask(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job) *task {
	t := &task{view: TaskView{
		ID: r.taskID(job), Kind: TaskManual, JobID: job.ID, RequestID: r.id, Connector: ref.ID, Owner: ref.Owner, Channel: ref.Channel,
		Instructions: ref.Instructions, Action: job.Action, Identity: job.Identities, Verified: verifiedOf(job), Corrections: job.Corrections,
		Purposes: job.Purposes, Categories: job.Categories, Due: r.due, Created: workflow.Now(ctx).UTC(), Status: TaskOpen,
	}}
	r.tasks = append(r.tasks, t)
	detail := map[string]string{"connector": ref.ID, "action": string(job.Action), "task": t.view.ID}
	r.audit(ctx, "task_created", detail, "system", "")
	in := act.PostCardInput{RequestID: r.id, Card: r.taskCard(t)}
	if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.PostCard, in).Get(ctx, &t.ref); err != nil {
		r.audit(ctx, "card_post_failed", detail, "system", "")
	}
	return t
}

// taskOutcome records a task's answer (event and card) and makes it the job's outcome.
func (r *jobRunner) taskOutcome(ctx workflow.Context, ref act.ConnectorRef, job connectors.Job, t *task, detail map[string]string) act.JobOutcome {
	if t.view.Records > 0 {
		detail["records"] = strconv.Itoa(t.view.Records)
	}
	r.audit(ctx, "task_"+t.view.Status, detail, t.view.By, t.view.Reason)
	if t.ref != (dsrflow.CardRef{}) {
		up := act.UpdateCardInput{RequestID: r.id, Ref: t.ref, Card: r.taskCard(t)}
		if err := workflow.ExecuteActivity(notifyOptions(ctx), reviewActs.UpdateCard, up).Get(ctx, nil); err != nil {
			r.audit(ctx, "card_update_failed", detail, "system", "")
		}
	}
	out := act.JobOutcome{Connector: ref, JobID: job.ID, Action: job.Action, Attempts: 1}
	switch dsrflow.VoteAction(t.view.Status) {
	case dsrflow.VoteDone:
		out.Status, out.Detail = connectors.StatusCompleted, "done by hand"
		// The records the team found become the job's, as a connector's answer's would: RecordJob files
		// them under the job id, where the answer and the export read them. Only answers with records
		// take this path, so histories from before the change replay without its marker.
		if t.view.Records > 0 && workflow.GetVersion(ctx, changeTaskRecords, workflow.DefaultVersion, 1) >= 1 {
			out.RecordsFrom = t.view.RecordsRef
			out.Counts = map[string]int{"records": t.view.Records}
		}
	case dsrflow.VoteNothingFound:
		out.Status, out.Detail = connectors.StatusNotFound, "nothing found by hand"
	default:
		out.Status, out.Detail = connectors.StatusFailed, "the team could not do it: "+t.view.Reason
		r.audit(ctx, "job_escalated", map[string]string{"connector": ref.ID, "action": string(job.Action)}, "system", out.Detail)
		r.jobAlert(ctx, ref, job.Action, out.Detail)
	}
	return out
}

// taskCard is a task as the team sees it in its channel: the case and the instructions, never the
// subject, who is shown behind the link to an authenticated agent.
func (r *jobRunner) taskCard(t *task) dsrflow.Card {
	c := dsrflow.Card{
		ReviewID: t.view.ID, Kind: dsrflow.ReviewTask, Channel: t.view.Channel,
		Title: fmt.Sprintf("%s job for request %s (%s)", t.view.Action, r.id, t.view.Owner),
		Fields: []dsrflow.CardField{
			{Label: "Request", Value: r.id},
			{Label: "Action", Value: string(t.view.Action)},
			{Label: "System", Value: t.view.Connector + " (" + t.view.Owner + ")"},
			{Label: "Due", Value: t.view.Due.UTC().Format("2006-01-02")},
			{Label: "Instructions", Value: t.view.Instructions},
		},
		Link: r.taskLink(t.view.ID),
	}
	if len(t.view.Categories) > 0 {
		c.Fields = append(c.Fields, dsrflow.CardField{Label: "Categories", Value: strings.Join(t.view.Categories, ", ")})
	}
	switch dsrflow.VoteAction(t.view.Status) {
	case dsrflow.VoteDone:
		c.State = "Done by " + t.view.By
		if t.view.Records > 0 {
			c.State += fmt.Sprintf(", with %d %s found", t.view.Records, plural(t.view.Records, "record", "records"))
		}
	case dsrflow.VoteNothingFound:
		c.State = "Nothing found, by " + t.view.By
	case dsrflow.VoteCannot:
		c.State = "Cannot be done, says " + t.view.By
	case TaskClosed:
		c.State = "Closed: " + t.view.Reason + ". Nothing more to do."
	default:
		c.Actions = []dsrflow.VoteAction{dsrflow.VoteDone, dsrflow.VoteNothingFound, dsrflow.VoteCannot}
		c.State = "Open: the subject's identity is behind the link"
	}
	return c
}

// taskLink is the task in the front door, beside the request's own link.
func (r *jobRunner) taskLink(taskID string) string {
	base, ok := strings.CutSuffix(r.link, "/api/v1/requests/"+r.id)
	if !ok {
		return ""
	}
	return base + "/api/v1/tasks/" + taskID
}

// plural is one or other as n counts one thing or several.
func plural(n int, one, other string) string {
	if n == 1 {
		return one
	}
	return other
}
