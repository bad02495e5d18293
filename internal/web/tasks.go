package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/workflows"
)

// TaskView is GET /api/v1/tasks/{id}: a manual connector's task (kind "manual"), or a job that ended
// identity_conflict waiting for an agent's confirm or drop (kind "identity_conflict", resolved through
// POST /api/v1/requests/{id}/jobs/{job}/resolve), with the subject's identity, for an authenticated
// agent (the task's card never shows it). Verified and Unverified name the identity types of Identity
// ("email", "customer_id:billing"): only verified ones select records; an unverified one may only
// confirm a record the verified ones found.
type TaskView struct {
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	JobID        string            `json:"job_id,omitempty"`
	RequestID    string            `json:"request_id"`
	Connector    string            `json:"connector"`
	Owner        string            `json:"owner"`
	Action       string            `json:"action"`
	Instructions string            `json:"instructions"`
	Identity     dsrflow.Identity  `json:"identity"`
	Verified     []string          `json:"verified"`
	Unverified   []string          `json:"unverified"`
	Corrections  map[string]string `json:"corrections,omitempty"`
	Purposes     []string          `json:"purposes,omitempty"`
	Categories   []string          `json:"categories,omitempty"`
	Due          time.Time         `json:"due"`
	Created      time.Time         `json:"created"`
	Status       string            `json:"status"`
	By           string            `json:"by,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Answered     *time.Time        `json:"answered,omitempty"`
}

func (s *server) handleShowTask() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		tasks, err := s.workflowTasks(r.Context(), workflows.TaskWorkflowID(id))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, t := range tasks {
			if t.ID == id {
				verified, unverified := splitVerified(t)
				writeJSON(w, http.StatusOK, TaskView{
					ID: t.ID, Kind: taskKind(t), JobID: t.JobID, RequestID: t.RequestID, Connector: t.Connector, Owner: t.Owner, Action: string(t.Action),
					Instructions: t.Instructions, Identity: t.Identity, Verified: verified, Unverified: unverified, Corrections: t.Corrections, Purposes: t.Purposes,
					Categories: t.Categories, Due: t.Due, Created: t.Created, Status: t.Status, By: t.By, Reason: t.Reason, Answered: t.Answered,
				})
				return
			}
		}
		s.fail(w, r, dsrflow.Errorf(dsrflow.ENOTFOUND, "task %s not found", id))
	})
}

// taskKind is a task's kind; tasks of workflows older than the field are manual.
func taskKind(t workflows.TaskView) string {
	if t.Kind == "" {
		return workflows.TaskManual
	}
	return t.Kind
}

// splitVerified sorts the task's identity types into verified and unverified. A task without a
// verified list (a disclosure's, or a workflow older than the field) trusts every identity, as
// protocol v1 does for a job without one.
func splitVerified(t workflows.TaskView) (verified, unverified []string) {
	verified, unverified = []string{}, []string{}
	for _, typ := range t.Identity.Types() {
		if t.Verified == nil || slices.Contains(t.Verified, typ) {
			verified = append(verified, typ)
		} else {
			unverified = append(unverified, typ)
		}
	}
	return verified, unverified
}

// handleTaskOutcome records a team's answer: done, nothing_found, or cannot with a reason. An
// Idempotency-Key header makes a retried call count once.
func (s *server) handleTaskOutcome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Outcome string `json:"outcome"`
			Reason  string `json:"reason"`
		}
		if err := decodeJSON(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		action := dsrflow.VoteAction(body.Outcome)
		fields := map[string]string{}
		if action != dsrflow.VoteDone && action != dsrflow.VoteNothingFound && action != dsrflow.VoteCannot {
			fields["outcome"] = "must be done, nothing_found or cannot"
		}
		if action.NeedsReason() && strings.TrimSpace(body.Reason) == "" {
			fields["reason"] = "cannot needs a reason"
		}
		if len(fields) > 0 {
			s.fail(w, r, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid task outcome: " + fieldList(fields), Fields: fields})
			return
		}
		key, err := idempotencyKey(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := principal(r)
		id := r.PathValue("id")
		out, err := review.Dispatcher{Client: s.Client}.Deliver(r.Context(), dsrflow.Vote{
			ReviewID: id, Kind: dsrflow.ReviewTask, Action: action, Reason: strings.TrimSpace(body.Reason),
			Reviewer: p.ID, Groups: s.groupsOf(p), Person: s.personOf(p), Via: "api", Key: key,
		})
		if err == nil && !out.Accepted {
			err = dsrflow.Errorf(dsrflow.ECONFLICT, "%s", out.Message)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": string(action), "state": out.Message})
	})
}

// workflowTasks asks a request's (or a disclosure's) workflow for its manual tasks.
func (s *server) workflowTasks(ctx context.Context, workflowID string) ([]workflows.TaskView, error) {
	v, err := s.Client.QueryWorkflow(ctx, workflowID, "", workflows.QueryTasks)
	if err != nil {
		return nil, userError(err)
	}
	var tasks []workflows.TaskView
	if err := v.Get(&tasks); err != nil {
		return nil, err
	}
	return tasks, nil
}
