package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities/act"
)

// acknowledgeVersion is the change that confirms receipt of CCPA requests; a CCPA request started
// before it replays without the confirmation.
const acknowledgeVersion = "h16ccpa-acknowledgement"

// acknowledge confirms the receipt of a CCPA request at once, with its reference, how it is verified and
// when it will be answered (11 CCR 7021(a): within 10 business days), to the subject and, for an agent's
// request, to the agent. Other requests are not confirmed: the GDPR's answer or code mail serves. A
// confirmation that cannot be queued is audited and the request goes on.
func (r *request) acknowledge(ctx workflow.Context) {
	if r.in.Jurisdiction != "ccpa" {
		return
	}
	if workflow.GetVersion(ctx, acknowledgeVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	in := act.AcknowledgeInput{RequestID: r.in.ID, Type: r.in.Type, Country: r.in.Country, To: r.in.Identity.Email,
		Received: r.in.ReceivedAt, Due: r.in.Due, Verification: r.in.Verification}
	var res act.AcknowledgeResult
	if err := workflow.ExecuteActivity(activityOptions(ctx), answerActs.Acknowledge, in).Get(ctx, &res); err != nil {
		r.audit(ctx, "acknowledgement_failed", nil, "system", "the confirmation of receipt could not be queued")
		return
	}
	detail := map[string]string{"agent_copy": "false"}
	if res.AgentCopy {
		detail["agent_copy"] = "true"
	}
	r.audit(ctx, "acknowledgement_sent", detail, "system", "")
}
