package workflows_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

var archive = activities.ConnectorRef{ID: "archive", Owner: "Records", Role: connectors.RoleSubsidiary,
	Kind: connectors.KindManual, Channel: "C-ARCHIVE", Instructions: "Search the paper archive."}

func taskVote(action dsrflow.VoteAction, reason string) dsrflow.Vote {
	return dsrflow.Vote{ReviewID: requestID + ".archive", Kind: dsrflow.ReviewTask, Action: action, Reason: reason, Reviewer: "token:agent-1", Via: "api"}
}

func TestManualTaskDone(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyNone)
	in.Link = "https://dsr.example.com/api/v1/requests/" + requestID
	h := newHarness(t, in)
	h.subsidiaries = []activities.ConnectorRef{crm, archive}
	var tasks []workflows.TaskView
	h.at(time.Hour, func() {
		v, err := h.env.QueryWorkflow(workflows.QueryTasks)
		if err == nil {
			err = v.Get(&tasks)
		}
		if err != nil {
			t.Errorf("query tasks: %v", err)
		}
	})
	noReason := h.update(5*day, workflows.UpdateTask, taskVote(dsrflow.VoteCannot, ""))
	unknown := h.update(5*day, workflows.UpdateTask, dsrflow.Vote{ReviewID: requestID + ".crm", Kind: dsrflow.ReviewTask, Action: dsrflow.VoteDone, Reviewer: "x"})
	done := h.update(5*day+time.Hour, workflows.UpdateTask, taskVote(dsrflow.VoteDone, ""))
	again := h.update(5*day+2*time.Hour, workflows.UpdateTask, taskVote(dsrflow.VoteNothingFound, ""))
	out := h.execute()

	eq(t, "outcome", out.Jobs[jobID("archive", dsrflow.ActionAccess)], connectors.StatusCompleted)
	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	for _, r := range h.runs {
		if r.Arg.Connector == "archive" {
			t.Error("a manual connector's job was sent over HTTP")
		}
	}
	eq(t, "cannot without a reason", errType(noReason.rejected), dsrflow.EINVALID)
	eq(t, "unknown task", errType(unknown.rejected), dsrflow.ENOTFOUND)
	if !done.completed || done.err != nil {
		t.Errorf("done: %+v", done)
	}
	if again.accepted {
		t.Errorf("a second answer was accepted: %+v", again)
	}

	// The agent behind the link sees the identity; the card never does.
	if len(tasks) != 1 || tasks[0].ID != requestID+".archive" || tasks[0].Identity.Email != subjectEmail || tasks[0].Status != workflows.TaskOpen {
		t.Fatalf("tasks = %+v", tasks)
	}
	eq(t, "cards", len(h.cards), 1)
	card := h.cards[0].Card
	eq(t, "card channel", card.Channel, "C-ARCHIVE")
	eq(t, "card kind", card.Kind, dsrflow.ReviewTask)
	eq(t, "card actions", card.Actions, []dsrflow.VoteAction{dsrflow.VoteDone, dsrflow.VoteNothingFound, dsrflow.VoteCannot})
	eq(t, "card link", card.Link, "https://dsr.example.com/api/v1/tasks/"+requestID+".archive")
	if b := fmt.Sprint(h.cards, h.cardUpdates, h.alerts); strings.Contains(b, subjectEmail) || strings.Contains(b, subjectName) {
		t.Errorf("a card or alert names the subject: %s", b)
	}
	final := h.cardUpdates[len(h.cardUpdates)-1].Card
	eq(t, "final card actions", len(final.Actions), 0)
	eq(t, "final card state", final.State, "Done by token:agent-1")

	// Reminders every 2 working days until the answer.
	var reminders []time.Time
	for _, a := range h.alerts {
		if strings.HasPrefix(a.Arg.Alert.Title, "Reminder: task") {
			reminders = append(reminders, a.At)
		}
	}
	eq(t, "reminders", reminders, []time.Time{start.Add(2 * day), start.Add(4 * day)})
	eq(t, "task audit", len(h.eventsNamed("task_done")), 1)
}

func TestManualTaskEscalatesThenCannot(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Erasure, dsrflow.VerifyNone))
	h.subsidiaries = []activities.ConnectorRef{archive}
	h.update(28*day, workflows.UpdateTask, taskVote(dsrflow.VoteCannot, "archive is offsite until April"))
	out := h.execute()

	eq(t, "outcome", out.Jobs[jobID("archive", dsrflow.ActionErase)], connectors.StatusFailed)
	var escalations []time.Time
	for _, a := range h.alerts {
		if a.Arg.Alert.Severity == "critical" && strings.Contains(a.Arg.Alert.Title, "is still open") {
			escalations = append(escalations, a.At)
		}
	}
	eq(t, "escalations", escalations, []time.Time{h.in.Due.Add(-dsrflow.DeadlinePolicy.JobMargin)})
	eq(t, "escalation audits", len(h.eventsNamed("task_escalated")), 1)
	esc := h.eventsNamed("job_escalated")
	if len(esc) != 1 || !strings.Contains(esc[0].Reason, "archive is offsite") {
		t.Errorf("job escalation = %+v", esc)
	}
	eq(t, "cannot audit", h.eventsNamed("task_cannot")[0].Reason, "archive is offsite until April")
}

// A manual task names which of the identities its team sees are verified: an emailed code verifies the
// email only, so a customer number given with the request is marked unverified.
func TestManualTaskMarksVerifiedIdentities(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyEmailCode)
	in.Identity.CustomerIDs = map[string]string{"archive": "A-77"}
	h := newHarness(t, in)
	h.subsidiaries = []activities.ConnectorRef{archive}
	h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
	var tasks []workflows.TaskView
	h.at(2*day, func() {
		v, err := h.env.QueryWorkflow(workflows.QueryTasks)
		if err == nil {
			err = v.Get(&tasks)
		}
		if err != nil {
			t.Errorf("query tasks: %v", err)
		}
	})
	h.update(3*day, workflows.UpdateTask, taskVote(dsrflow.VoteNothingFound, ""))
	h.execute()

	if len(tasks) != 1 || tasks[0].Kind != workflows.TaskManual || tasks[0].JobID != jobID("archive", dsrflow.ActionAccess) {
		t.Fatalf("tasks = %+v", tasks)
	}
	eq(t, "verified identities", tasks[0].Verified, []string{dsrflow.IdentityEmail})
	eq(t, "identities shown", tasks[0].Identity.CustomerIDs["archive"], "A-77")
}

// A team answers its access task Done with the records it found (issue 17): the records stay in the
// store under the front door's key; the workflow files them under the task's job (RecordJob's
// RecordsFrom) before the answer is composed, so they reach the export as the connector's answer
// would, counted; the card and the audit say how many. Records on an erasure task or with Nothing
// found are refused.
func TestManualTaskDoneWithRecords(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyNone)
	h := newHarness(t, in)
	h.subsidiaries = []activities.ConnectorRef{archive}
	withRecords := func(action dsrflow.VoteAction, n int, ref string) dsrflow.Vote {
		v := taskVote(action, "")
		v.Records, v.RecordsRef = n, ref
		return v
	}
	notFound := h.update(day, workflows.UpdateTask, withRecords(dsrflow.VoteNothingFound, 2, requestID+":archive:access#answer-1"))
	noRef := h.update(day, workflows.UpdateTask, withRecords(dsrflow.VoteDone, 2, ""))
	done := h.update(2*day, workflows.UpdateTask, withRecords(dsrflow.VoteDone, 3, requestID+":archive:access#answer-2"))
	out := h.execute()

	eq(t, "records with nothing found", errType(notFound.rejected), dsrflow.EINVALID)
	eq(t, "records without their key", errType(noRef.rejected), dsrflow.EINVALID)
	if !done.completed || done.err != nil {
		t.Fatalf("done with records: %+v", done)
	}
	job := jobID("archive", dsrflow.ActionAccess)
	eq(t, "outcome", out.Jobs[job], connectors.StatusCompleted)
	var rec *activities.JobOutcome
	for i := range h.recorded {
		if h.recorded[i].JobID == job {
			rec = &h.recorded[i]
		}
	}
	if rec == nil {
		t.Fatalf("the task's job was not recorded: %+v", h.recorded)
	}
	eq(t, "records filed from", rec.RecordsFrom, requestID+":archive:access#answer-2")
	eq(t, "records counted", rec.Counts["records"], 3)
	// Respond reads the job's records by job id: the outcome it is given is the job's, completed.
	resp := h.onlyRespond()
	var answered bool
	for _, o := range resp.Outcomes {
		answered = answered || o.JobID == job && o.Status == connectors.StatusCompleted && o.Connector.ID == "archive"
	}
	if !answered {
		t.Errorf("the answer lacks the task's job: %+v", resp.Outcomes)
	}
	eq(t, "final card state", h.cardUpdates[len(h.cardUpdates)-1].Card.State, "Done by token:agent-1, with 3 records found")
	if ev := h.eventsNamed("task_done"); len(ev) != 1 || ev[0].Detail["records"] != "3" {
		t.Errorf("task_done = %+v", ev)
	}
}

func TestManualEraseTaskTakesNoRecords(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Erasure, dsrflow.VerifyNone))
	h.subsidiaries = []activities.ConnectorRef{archive}
	v := taskVote(dsrflow.VoteDone, "")
	v.Records, v.RecordsRef = 1, requestID+":archive:erase#answer-1"
	refused := h.update(day, workflows.UpdateTask, v)
	h.update(2*day, workflows.UpdateTask, taskVote(dsrflow.VoteDone, ""))
	h.execute()
	eq(t, "records on an erasure task", errType(refused.rejected), dsrflow.EINVALID)
	for _, o := range h.recorded {
		if o.RecordsFrom != "" || o.Counts["records"] != 0 {
			t.Errorf("an erasure job was recorded with records: %+v", o)
		}
	}
}
