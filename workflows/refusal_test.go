package workflows_test

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

var dpo = workflows.Actor{ID: "token:dpo", Role: "dpo"}

func refusal(ground dsrflow.RefusalGround, reason string) workflows.RefuseInput {
	return workflows.RefuseInput{Actor: dpo, Ground: string(ground), Reason: reason}
}

// assertRefused checks what a refused request leaves: status rejected, closed by the refuser, one
// request_refused event with the ground and reason, and the answer with ground and reason.
func assertRefused(t *testing.T, h *harness, out workflows.Outcome, u *updateResult, ground dsrflow.RefusalGround, reason string) activities.RespondInput {
	t.Helper()
	if err := u.refusal(); err != nil || !u.completed {
		t.Fatalf("refusal: completed %v, error %v", u.completed, err)
	}
	eq(t, "state the refuser sees", u.state.Status, dsrflow.StatusRejected)
	eq(t, "outcome status", out.Status, dsrflow.StatusRejected)
	ev := h.eventsNamed("request_refused")
	if len(ev) != 1 || ev[0].Detail["ground"] != string(ground) || ev[0].Reason != reason || ev[0].Actor != dpo.ID {
		t.Fatalf("request_refused events %+v, want one by %s with ground %s and the reason", ev, dpo.ID, ground)
	}
	last := h.transitions[len(h.transitions)-1]
	eq(t, "closing action", last.Event.Action, "request_rejected")
	eq(t, "closed by", last.Event.Actor, dpo.ID)
	resp := h.onlyRespond()
	eq(t, "answer status", resp.Status, dsrflow.StatusRejected)
	eq(t, "answer ground", resp.Ground, string(ground))
	eq(t, "answer reason", resp.Reason, reason)
	return resp
}

// A request waiting for its code is refused on identity: no code reminders after it, no job, and the
// answer says why.
func TestRefusalWhileVerifying(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	reason := "the address belongs to a mailbox the subject says they no longer hold"
	u := h.update(2*day, workflows.UpdateRefuse, refusal(dsrflow.RefusalIdentityNotConfirmed, reason))

	out := h.execute()

	assertRefused(t, h, out, u, dsrflow.RefusalIdentityNotConfirmed, reason)
	eq(t, "codes mailed", h.codeKinds(), []string{"code"})
	eq(t, "jobs run", len(h.runs), 0)
	eq(t, "selects", len(h.selects), 0)
}

// An objection in review is refused as manifestly unfounded: the review ends without a decision and no
// job runs.
func TestRefusalInReview(t *testing.T) {
	in := newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested)
	in.Grounds = "I object"
	h := newHarness(t, in)
	reason := "the same objection was answered last week"
	u := h.update(day, workflows.UpdateRefuse, refusal(dsrflow.RefusalManifestlyUnfounded, reason))

	out := h.execute()

	assertRefused(t, h, out, u, dsrflow.RefusalManifestlyUnfounded, reason)
	eq(t, "jobs run", len(h.runs), 0)
	eq(t, "decisions", len(h.decisions), 0)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.cardUpdates) != 1 || h.cardUpdates[0].Card.State != "Request refused (manifestly_unfounded) by token:dpo" || len(h.cardUpdates[0].Card.Actions) != 0 {
		t.Errorf("review card updates %+v, want one saying the request was refused, without buttons", h.cardUpdates)
	}
}

// A refusal while jobs run stops them: the job still waiting for its connector is canceled (and not
// reported to the subject as failed), no partner is told, and the job done before stays in the answer.
func TestRefusalWhileFulfilling(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Erasure, dsrflow.VerifyAgentAttested))
	// crm accepts and never answers; billing answers at once.
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	h.poll = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	state := h.queryAt(day)
	reason := "the subject asked for the same erasure four times this week"
	u := h.update(2*day, workflows.UpdateRefuse, refusal(dsrflow.RefusalManifestlyExcessive, reason))

	out := h.execute()

	eq(t, "status while the job ran", state.Status, dsrflow.StatusFulfilling)
	resp := assertRefused(t, h, out, u, dsrflow.RefusalManifestlyExcessive, reason)
	var answered []string
	for _, o := range resp.Outcomes {
		answered = append(answered, o.JobID+"="+string(o.Status))
	}
	eq(t, "jobs in the answer", answered, []string{jobID("billing", dsrflow.ActionErase) + "=completed"})
	var stopped []string
	h.mu.Lock()
	for _, o := range h.recorded {
		if o.JobID == jobID("crm", dsrflow.ActionErase) {
			stopped = append(stopped, string(o.Status)+": "+o.Detail)
		}
	}
	h.mu.Unlock()
	eq(t, "the stopped job's record", stopped, []string{"failed: stopped: the request was refused"})
	for _, s := range h.selects {
		if s.Partners {
			t.Errorf("partners selected after the refusal: %+v", s)
		}
	}
	if ended := h.env.Now().Sub(start); ended > 3*day {
		t.Errorf("request ended %s after receipt, want at the refusal (2 days)", ended)
	}
}

// Once the answer is being sent the request can no longer be refused: the update is refused with a
// conflict and the request completes as it was.
func TestRefusalAfterTheAnswerIsAConflict(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyAgentAttested))
	var late *updateResult
	h.respond = func(_ activities.RespondInput, attempt int) error {
		if attempt == 1 {
			late = h.send(workflows.UpdateRefuse, refusal(dsrflow.RefusalOther, "too late"))
		}
		return nil
	}

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	if late == nil || late.refusal() == nil {
		t.Fatalf("a refusal while answering was accepted: %+v", late)
	}
	eq(t, "error type", errType(late.refusal()), string(dsrflow.ECONFLICT))
	eq(t, "request_refused events", len(h.eventsNamed("request_refused")), 0)
}

// Agents may not refuse; a bad ground or an empty reason is refused by the validator and changes nothing.
func TestRefusalValidation(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyEmailCode))
	byAgent := h.update(day, workflows.UpdateRefuse, workflows.RefuseInput{Actor: agent, Ground: "other", Reason: "x"})
	badGround := h.update(day, workflows.UpdateRefuse, workflows.RefuseInput{Actor: dpo, Ground: "bored", Reason: "x"})
	noReason := h.update(day, workflows.UpdateRefuse, workflows.RefuseInput{Actor: dpo, Ground: "other", Reason: "  "})

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusLapsed)
	eq(t, "agent", errType(byAgent.refusal()), string(dsrflow.EFORBIDDEN))
	eq(t, "bad ground", errType(badGround.refusal()), string(dsrflow.EINVALID))
	eq(t, "no reason", errType(noReason.refusal()), string(dsrflow.EINVALID))
	eq(t, "request_refused events", len(h.eventsNamed("request_refused")), 0)
}

// A request entered a month after the letter arrived keeps the whole code policy from its entry: two
// reminders and the lapse after it, not within seconds. Its deadline still counts from receipt.
func TestBackdatedReceiptDoesNotLapseEarly(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyEmailCode)
	entered := start
	in.ReceivedAt = start.Add(-30 * day)
	in.Due = in.ReceivedAt.Add(30 * day)
	in.ExtendedDue = in.ReceivedAt.Add(90 * day)
	in.Entered = entered
	h := newHarness(t, in)

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusLapsed)
	var at []time.Time
	for _, c := range h.codes {
		at = append(at, c.At)
	}
	eq(t, "codes mailed at", at, []time.Time{entered, entered.Add(3 * day), entered.Add(7 * day)})
	last := h.transitions[len(h.transitions)-1]
	eq(t, "lapsed at", last.Event.At, entered.Add(14*day))
	eq(t, "due date kept", last.Request.DueAt, in.ReceivedAt.Add(30*day))
}

// A request flagged as a repeat at intake says so in its first audit events; nothing else changes.
func TestRepeatRequestIsFlaggedNotRefused(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyAgentAttested)
	in.RepeatOf = "dsr_earlier"
	h := newHarness(t, in)

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	ev := h.eventsNamed("repeat_request_flagged")
	if len(ev) != 1 || ev[0].Detail["earlier"] != "dsr_earlier" {
		t.Fatalf("repeat_request_flagged events %+v, want one naming dsr_earlier", ev)
	}
}
