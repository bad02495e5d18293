package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
)

// Identity binding (issue 14): only the identities the request's verification confirmed select a
// subject's records; the others (a customer id, a phone number) may only confirm or extend them, and a
// connector answers identity_conflict when one of them matches someone else's record.

// verifiedTypes names the identity types of the request that its verification confirmed, for the jobs'
// Verified list:
//   - an emailed code confirms the email only (the attack of issue 14 added another customer's id to a
//     request verified for the attacker's own address);
//   - an agent's attestation confirms every identifier the agent entered: the agent vouches, with a
//     reason on record, for the person and the identifiers they gave;
//   - a request that needs no verification (opt-outs, dsrflow.DefaultVerification) acts on every
//     identifier given, as before: it returns nothing and only stops processing.
//
// An emailed code without an email (never made by the front door) verifies nothing: the connector
// client refuses such a job (connectors.Job.Validate), and it escalates, rather than trusting every
// identifier.
func (r *request) verifiedTypes() []string {
	switch r.in.Verification {
	case dsrflow.VerifyAgentAttested, dsrflow.VerifyNone:
		// Types ranges over the customer ids but returns them sorted: the same list on every replay.
		return r.in.Identity.Types() //workflowcheck:ignore
	}
	if r.in.Identity.Email == "" {
		return []string{}
	}
	return []string{dsrflow.IdentityEmail}
}

// versionConflict marks the histories that report identity conflicts; the status did not exist before,
// so no earlier history reaches it, but its audit event and alert are new commands all the same.
const versionConflict = "identity-conflict-reported"

// conflicted reports a job that ended identity_conflict: an audit event naming the connector and the
// action (never the identifier) and an alert, so that an agent resolves it with the subject (confirm
// the identifier and start again attested, or drop it). The outcome stays identity_conflict: the job is
// not done, its connector's records are not in the answer or the export (the connector returned none),
// and the answer says that system has not answered yet and why.
func (r *request) conflicted(ctx workflow.Context, ref act.ConnectorRef, out act.JobOutcome) act.JobOutcome {
	if out.Status != connectors.StatusIdentityConflict {
		return out
	}
	if workflow.GetVersion(ctx, versionConflict, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return out
	}
	r.audit(ctx, "identity_conflict", map[string]string{"connector": ref.ID, "action": string(out.Action)}, "system", out.Detail)
	if r.notifies(ctx) {
		sendAlert(ctx, r, dsrflow.Alert{
			Severity: "critical", Link: r.in.Link,
			Title: fmt.Sprintf("Identity conflict: connector %s did not run the %s job of request %s", ref.ID, out.Action, r.in.ID),
			Text: "An identifier given with the request (not verified) matches a record that the verified identity does not reach (" + ref.Owner + "). " +
				"Nothing of that record was returned. Confirm the identifier with the subject and start a new request for this system, attested with it or without it.",
		})
	}
	return out
}
