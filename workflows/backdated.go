package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// backdatedChange is the workflow.GetVersion change id of counting the code's reminders and lapse from
// when the request was entered rather than from its stated receipt.
const backdatedChange = "backdated-intake-time"

// codeWindowStart is when the verification code's reminders and lapse start counting: the later of the
// stated receipt and the time the request was entered (RequestInput.Entered). A letter entered a month
// after it arrived gets the whole code policy (reminders, then the lapse) from its entry, while its
// deadline still counts from receipt.
//
// Only a request entered after its receipt asks for the version, so the marker (a history event and a
// visibility write) is paid by backdated requests alone; requests started before the change have no
// Entered and count from receipt, as they did.
func (r *request) codeWindowStart(ctx workflow.Context) time.Time {
	start := r.in.ReceivedAt
	if !r.in.Entered.After(start) {
		return start
	}
	if workflow.GetVersion(ctx, backdatedChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return start
	}
	return r.in.Entered
}
