package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/workflows"
)

// Execution is what the reconciler needs to know of a request's workflow.
type Execution struct {
	// Found is false when Temporal has no workflow with the request's id.
	Found bool
	// Status is the latest run's status (a run that continued as new is followed to the next).
	Status enums.WorkflowExecutionStatus
	// Outcome is the status the workflow returned, for a completed one; "" when unknown.
	Outcome dsrflow.Status
}

// Running reports whether the workflow still carries the request.
func (e Execution) Running() bool {
	return e.Found && (e.Status == enums.WORKFLOW_EXECUTION_STATUS_RUNNING || e.Status == enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
}

// Temporal is the part of Temporal the reconciler uses, small so tests can fake it.
type Temporal interface {
	// Describe returns the state of the workflow with the request's id.
	Describe(ctx context.Context, requestID string) (Execution, error)
	// StartRequest starts the request's workflow; one that was already started counts as started.
	StartRequest(ctx context.Context, in workflows.RequestInput) error
	// ClosedSince returns the ids of request and disclosure workflows that closed after since.
	ClosedSince(ctx context.Context, since time.Time) ([]string, error)
}

// Client is Temporal through the SDK's client.
type Client struct{ client.Client }

// Describe implements Temporal.
func (c Client) Describe(ctx context.Context, requestID string) (Execution, error) {
	resp, err := c.DescribeWorkflowExecution(ctx, requestID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return Execution{}, nil
	}
	if err != nil {
		return Execution{}, fmt.Errorf("describe workflow %s: %w", requestID, err)
	}
	ex := Execution{Found: true, Status: resp.GetWorkflowExecutionInfo().GetStatus()}
	if ex.Status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED && resp.GetWorkflowExecutionInfo().GetType().GetName() == "Request" {
		var out workflows.Outcome
		if err := c.GetWorkflow(ctx, requestID, "").Get(ctx, &out); err == nil {
			ex.Outcome = out.Status
		}
	}
	return ex, nil
}

// StartRequest implements Temporal. It is how every request's workflow starts, from the front door or
// from the reconciler: the id is the request's, and a second start of the same id is refused by
// Temporal, so the two can never both run one.
func (c Client) StartRequest(ctx context.Context, in workflows.RequestInput) error {
	return StartRequest(ctx, c.Client, in)
}

// StartRequest starts the request workflow for in with its deterministic id (the request id) and the
// search attributes of a received request. A workflow already started with that id counts as started.
func StartRequest(ctx context.Context, c client.Client, in workflows.RequestInput) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    in.ID,
		TaskQueue:             workflows.TaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrType.ValueSet(string(in.Type)),
			workflows.AttrStatus.ValueSet(string(dsrflow.StatusReceived)),
			workflows.AttrCountry.ValueSet(in.Country),
			workflows.AttrJurisdiction.ValueSet(in.Jurisdiction),
			workflows.AttrDueAt.ValueSet(in.Due),
		),
	}, workflows.Request, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("start workflow %s: %w", in.ID, err)
	}
	return nil
}

// ClosedSince implements Temporal with a visibility query.
func (c Client) ClosedSince(ctx context.Context, since time.Time) ([]string, error) {
	q := fmt.Sprintf("(WorkflowType = 'Request' OR WorkflowType = 'Disclosure') AND ExecutionStatus != 'Running' AND CloseTime > '%s'",
		since.UTC().Format(time.RFC3339Nano))
	var ids []string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, NextPageToken: token, PageSize: 1000})
		if err != nil {
			return nil, fmt.Errorf("list closed workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}
