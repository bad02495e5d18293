package service

import (
	"context"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/review"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// RequestTasks implements dsrflow.RequestService.
func (s *Service) RequestTasks(ctx context.Context, id string) ([]dsrflow.RequestTaskView, error) {
	if _, err := caller(ctx, agents...); err != nil {
		return nil, err
	}
	req, err := s.Store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []dsrflow.RequestTaskView{}
	tasks, err := s.workflowTasks(ctx, id)
	if dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
		// Past Temporal's retention a closed request's tasks live on in the audit trail only.
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if req.Type == workflows.TypeDisclosure {
		more, err := s.subjectTasks(ctx, id)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, more...)
	}
	for _, t := range tasks {
		out = append(out, dsrflow.RequestTaskView{ID: t.ID, Kind: taskKind(t), JobID: t.JobID, Connector: t.Connector, Owner: t.Owner, Action: string(t.Action), Instructions: t.Instructions,
			Status: t.Status, By: t.By, Reason: t.Reason, Created: t.Created, Answered: t.Answered})
	}
	return out, nil
}

// Task implements dsrflow.RequestService.
func (s *Service) Task(ctx context.Context, id string) (dsrflow.TaskView, error) {
	if _, err := caller(ctx, agents...); err != nil {
		return dsrflow.TaskView{}, err
	}
	tasks, err := s.workflowTasks(ctx, workflows.TaskWorkflowID(id))
	if err != nil {
		return dsrflow.TaskView{}, err
	}
	for _, t := range tasks {
		if t.ID == id {
			verified, unverified := splitVerified(t)
			return dsrflow.TaskView{
				ID: t.ID, Kind: taskKind(t), JobID: t.JobID, RequestID: t.RequestID, Connector: t.Connector, Owner: t.Owner, Action: string(t.Action),
				Instructions: t.Instructions, Identity: t.Identity, Verified: verified, Unverified: unverified, Corrections: t.Corrections, Purposes: t.Purposes,
				Categories: t.Categories, Holds: s.holds(t.Connector), Due: t.Due, Created: t.Created, Status: t.Status, By: t.By, Reason: t.Reason,
				Answered: t.Answered, Records: t.Records,
			}, nil
		}
	}
	return dsrflow.TaskView{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "task %s not found", id)
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

// AnswerTask implements dsrflow.RequestService: done, nothing_found, or cannot with a reason.
func (s *Service) AnswerTask(ctx context.Context, id string, a dsrflow.TaskAnswer) (dsrflow.TaskAnswered, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return dsrflow.TaskAnswered{}, err
	}
	action := dsrflow.VoteAction(a.Outcome)
	fields := map[string]string{}
	if action != dsrflow.VoteDone && action != dsrflow.VoteNothingFound && action != dsrflow.VoteCannot {
		fields["outcome"] = "must be done, nothing_found or cannot"
	}
	if action.NeedsReason() && strings.TrimSpace(a.Reason) == "" {
		fields["reason"] = "cannot needs a reason"
	}
	if len(fields) > 0 {
		return dsrflow.TaskAnswered{}, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid task outcome: " + fieldList(fields), Fields: fields}
	}
	if err := checkKey(a.Key); err != nil {
		return dsrflow.TaskAnswered{}, err
	}
	vote := dsrflow.Vote{
		ReviewID: id, Kind: dsrflow.ReviewTask, Action: action, Reason: strings.TrimSpace(a.Reason),
		Reviewer: p.ID, Groups: s.groupsOf(p), Person: s.personOf(p), Via: "api", Key: a.Key,
	}
	var requestID string
	if a.Records != nil {
		if vote.RecordsRef, requestID, err = s.stageTaskRecords(ctx, id, a); err != nil {
			return dsrflow.TaskAnswered{}, err
		}
		vote.Records = len(a.Records)
	}
	out, err := review.Dispatcher{Client: s.Client}.Deliver(ctx, vote)
	if err == nil && !out.Accepted {
		err = dsrflow.Errorf(dsrflow.ECONFLICT, "%s", out.Message)
	}
	if err != nil {
		err = temporalError(err)
		if vote.RecordsRef != "" && refusedForGood(err) {
			// Refused: its records must not stay. Another error may hide an accepted answer, whose
			// records the workflow will file; left, they go when the request is shredded.
			if derr := s.Store.DeleteJobRecordsOf(context.WithoutCancel(ctx), requestID, vote.RecordsRef); derr != nil {
				s.logger().Error("records of a refused task answer not deleted", "task", id, "error", derr)
			}
		}
		return dsrflow.TaskAnswered{}, err
	}
	return dsrflow.TaskAnswered{ID: id, Status: string(action), State: out.Message}, nil
}

// subjectTasks asks a disclosure's subject workflows (workflows.DisclosureSubject) for their manual
// tasks; a subject whose workflow has not started (or a disclosure of the old shape, which holds its
// tasks itself) has none.
func (s *Service) subjectTasks(ctx context.Context, id string) ([]workflows.TaskView, error) {
	v, err := s.Client.QueryWorkflow(ctx, id, "", workflows.QueryDisclosure)
	if err != nil {
		return nil, temporalError(err)
	}
	var st workflows.DisclosureState
	if err := v.Get(&st); err != nil {
		return nil, err
	}
	var out []workflows.TaskView
	for n := 1; n <= st.Subjects; n++ {
		tasks, err := s.workflowTasks(ctx, workflows.DisclosureSubjectID(id, n))
		if dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, tasks...)
	}
	return out, nil
}

// workflowTasks asks a request's (or a disclosure's) workflow for its manual tasks.
func (s *Service) workflowTasks(ctx context.Context, workflowID string) ([]workflows.TaskView, error) {
	v, err := s.Client.QueryWorkflow(ctx, workflowID, "", workflows.QueryTasks)
	if err != nil {
		return nil, temporalError(err)
	}
	var tasks []workflows.TaskView
	if err := v.Get(&tasks); err != nil {
		return nil, err
	}
	return tasks, nil
}

// openTaskStatuses are the request statuses under which a workflow holds open manual tasks: its jobs
// run (fulfilling) or only tasks are left (awaiting_tasks).
var openTaskStatuses = []dsrflow.Status{dsrflow.StatusFulfilling, dsrflow.StatusAwaitingTasks}

// maxTaskRequests bounds the workflows one tasks page asks (one query each).
const maxTaskRequests = 500

// OpenTasks implements dsrflow.RequestService: it asks the workflow of each request that can hold
// tasks for its open ones.
func (s *Service) OpenTasks(ctx context.Context, q dsrflow.TaskQuery) ([]dsrflow.TaskListItem, error) {
	p, err := caller(ctx, agents...)
	if err != nil {
		return nil, err
	}
	view := q.View
	if view == "" {
		view = dsrflow.TasksTeam
	}
	if view != dsrflow.TasksTeam && view != dsrflow.TasksMine && view != dsrflow.TasksOverdue {
		return nil, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "invalid task view: view must be team, mine or overdue",
			Fields: map[string]string{"view": "must be team, mine or overdue"}}
	}
	now := s.now()
	out := []dsrflow.TaskListItem{}
	for _, status := range openTaskStatuses {
		f := store.RequestFilter{Status: string(status), Open: true, Limit: maxTaskRequests}
		if view == dsrflow.TasksMine {
			f.Assignee = p.ID
		}
		rows, err := s.Store.ListRequests(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, req := range rows {
			tasks, err := s.workflowTasks(ctx, req.ID)
			if dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
				continue // the reconciler records a workflow that is gone
			}
			if err != nil {
				return nil, err
			}
			if req.Type == workflows.TypeDisclosure {
				more, err := s.subjectTasks(ctx, req.ID)
				if err != nil {
					return nil, err
				}
				tasks = append(tasks, more...)
			}
			for _, t := range tasks {
				if t.Status != workflows.TaskOpen {
					continue
				}
				due := t.Due
				if due.IsZero() {
					due = req.DueAt
				}
				overdue := now.After(due)
				if view == dsrflow.TasksOverdue && !overdue {
					continue
				}
				out = append(out, dsrflow.TaskListItem{
					RequestTaskView: dsrflow.RequestTaskView{ID: t.ID, Kind: taskKind(t), JobID: t.JobID, Connector: t.Connector, Owner: t.Owner, Action: string(t.Action),
						Instructions: t.Instructions, Status: t.Status, Created: t.Created},
					RequestID: req.ID, RequestType: string(req.Type), Assignee: req.Assignee, Due: due, Overdue: overdue,
				})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b dsrflow.TaskListItem) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
