// Package review delivers reviewers' votes to the workflows that wait for them, whichever way they came:
// a Slack button (internal/slack), the API or the CLI. It implements dsrflow.Dispatcher.
package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/workflows"
)

// Dispatcher maps a vote to its workflow's update: a disclosure's vote (workflows.UpdateVote), an
// objection's decision (workflows.UpdateDecide), a manual task's answer (workflows.UpdateTask, on the
// workflow named by the task id's first part). The update id is derived from the vote's Key, its
// reviewer and its review (UpdateID), so Slack's retries, double clicks and a client's retried call
// count once (Temporal answers a repeated id with the first result), while nobody's key can take the
// place of another person's vote.
type Dispatcher struct {
	Client client.Client
}

var _ dsrflow.Dispatcher = Dispatcher{}

// Vote implements dsrflow.Dispatcher: a vote the workflow refuses (not allowed, already voted, already
// decided, invalid) is an outcome with Accepted false; errors are ENOTFOUND and EUNAVAILABLE.
func (d Dispatcher) Vote(ctx context.Context, v dsrflow.Vote) (dsrflow.VoteOutcome, error) {
	out, err := d.Deliver(ctx, v)
	switch code := dsrflow.ErrorCode(err); code {
	case dsrflow.EINVALID, dsrflow.ECONFLICT, dsrflow.EFORBIDDEN:
		return dsrflow.VoteOutcome{Accepted: false, Code: code, Message: dsrflow.ErrorMessage(err)}, nil
	}
	return out, err
}

// Deliver is Vote for the front door's API: a refusal by the workflow's validator stays an error with
// its dsrflow code (EINVALID, ECONFLICT, EFORBIDDEN), for the HTTP status; a refusal the workflow counts
// (and audits) comes back as an outcome with Accepted false and its Code.
func (d Dispatcher) Deliver(ctx context.Context, v dsrflow.Vote) (dsrflow.VoteOutcome, error) {
	if v.ReviewID == "" {
		return dsrflow.VoteOutcome{}, dsrflow.Errorf(dsrflow.EINVALID, "a vote needs a review id")
	}
	updateID := UpdateID(v)
	switch v.Kind {
	case dsrflow.ReviewDisclosure:
		var out dsrflow.VoteOutcome
		err := d.update(ctx, v.ReviewID, updateID, workflows.UpdateVote, v, &out)
		return out, err
	case dsrflow.ReviewObjection:
		decision := workflows.DecisionInput{Actor: workflows.Actor{ID: v.Reviewer, Role: roleOf(v)}, Reason: v.Reason}
		switch v.Action {
		case dsrflow.VoteApprove:
			decision.Decision = workflows.DecisionApprove
		case dsrflow.VoteReject:
			decision.Decision = workflows.DecisionReject
		default:
			return dsrflow.VoteOutcome{}, dsrflow.Errorf(dsrflow.EINVALID, "an objection is approved or rejected, not %s", v.Action)
		}
		var st workflows.State
		if err := d.update(ctx, v.ReviewID, updateID, workflows.UpdateDecide, decision, &st); err != nil {
			return dsrflow.VoteOutcome{}, err
		}
		return dsrflow.VoteOutcome{Accepted: true, Message: "decision recorded: " + decision.Decision}, nil
	case dsrflow.ReviewTask:
		var out dsrflow.VoteOutcome
		err := d.update(ctx, workflows.TaskWorkflowID(v.ReviewID), updateID, workflows.UpdateTask, v, &out)
		return out, err
	}
	return dsrflow.VoteOutcome{}, dsrflow.Errorf(dsrflow.EINVALID, "unknown review kind %q", v.Kind)
}

// roleOf is the role an objection's validator checks: members of the dpo group decide as dpo, members of
// any other reviewer group as reviewer; a person in no group has no role and is refused.
func roleOf(v dsrflow.Vote) string {
	switch {
	case slices.Contains(v.Groups, "dpo"):
		return "dpo"
	case len(v.Groups) > 0:
		return "reviewer"
	}
	return ""
}

// UpdateID is the Temporal update id of a vote: a hash of its reviewer, its review and the caller's key,
// or "" (a fresh id, so the vote is never taken for another) without a key. The client's key only says
// "this is my retry"; were it the update id itself, whoever learned another reviewer's key (Slack's are
// derived from public ids) could send it first and make that reviewer's real vote a silent repeat.
func UpdateID(v dsrflow.Vote) string {
	if v.Key == "" {
		return ""
	}
	h := sha256.New()
	for _, part := range []string{v.Via, v.Reviewer, string(v.Kind), v.ReviewID, v.Key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "vote:" + hex.EncodeToString(h.Sum(nil)[:16])
}

func (d Dispatcher) update(ctx context.Context, workflowID, updateID, name string, arg, result any) error {
	handle, err := d.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateID: updateID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, result)
	}
	return codeOf(err)
}

// codeOf turns Temporal's errors into dsrflow errors: a workflow's refusal keeps its code.
func codeOf(err error) error {
	return temporalx.UserError(err, "no such review, or it is closed")
}
