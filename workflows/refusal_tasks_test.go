package workflows_test

import (
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/workflows"
)

// A refusal closes the request's open manual tasks: the task shows closed with the reason, its card in
// the team's channel says so and has no buttons, the closing is audited, and the task is not in the
// answer as something we could not do.
func TestRefusalClosesOpenTasks(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Erasure, dsrflow.VerifyAgentAttested))
	h.subsidiaries = []activities.ConnectorRef{crm, archive}
	reason := "the subject asked for the same erasure four times this week"
	u := h.update(day, workflows.UpdateRefuse, refusal(dsrflow.RefusalManifestlyExcessive, reason))
	out := h.execute()

	var tasks []workflows.TaskView
	v, err := h.env.QueryWorkflow(workflows.QueryTasks)
	if err == nil {
		err = v.Get(&tasks)
	}
	if err != nil {
		t.Fatalf("query tasks: %v", err)
	}

	resp := assertRefused(t, h, out, u, dsrflow.RefusalManifestlyExcessive, reason)
	if len(tasks) != 1 || tasks[0].Status != workflows.TaskClosed || tasks[0].Reason != "the request was refused (manifestly excessive)" || tasks[0].By != dpo.ID {
		t.Fatalf("tasks after the refusal = %+v, want the archive task closed by the DPO with the reason", tasks)
	}
	ev := h.eventsNamed("task_closed")
	if len(ev) != 1 || ev[0].Detail["task"] != requestID+".archive" || ev[0].Actor != dpo.ID {
		t.Errorf("task_closed events %+v, want one for the archive task by the DPO", ev)
	}
	h.mu.Lock()
	final := h.cardUpdates[len(h.cardUpdates)-1].Card
	h.mu.Unlock()
	eq(t, "final card state", final.State, "Closed: the request was refused (manifestly excessive). Nothing more to do.")
	eq(t, "final card actions", len(final.Actions), 0)
	for _, o := range resp.Outcomes {
		if o.Connector.ID == "archive" {
			t.Errorf("the closed task is in the answer: %+v", o)
		}
	}
}
