package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow"
)

// versionEID marks the histories that know eID verification (issue 18): a request created with
// dsrflow.VerifyEID waits for it with its status link mailed instead of a code, and a request waiting for
// a code may be verified by eID instead, taking the identities the broker confirmed. No history before
// it holds either, but the marker keeps the new commands (the mail, the audit detail) out of old ones.
const versionEID = "h18-eid"

// awaitEID waits for an eID verification, with the code policy's reminders and lapse: the mail links to
// the status page, where the subject verifies with their eID (the front door's /privacy/eid routes). A
// code is never issued, and the validator refuses one.
func (r *request) awaitEID(ctx workflow.Context) bool {
	_ = workflow.GetVersion(ctx, versionEID, workflow.DefaultVersion, 1)
	r.transition(ctx, dsrflow.StatusVerifying, "verification_started", map[string]string{"method": string(dsrflow.VerifyEID)}, "system", "")
	r.flush(ctx)
	r.issueCode(ctx, "code")
	return r.awaitCode(ctx)
}

// validateEID refuses an eID verification without the national id's hash, and a code for a request that
// takes an eID verification (a type the controller marks sensitive): only eID or an agent's attestation,
// made at intake, verifies those.
func (r *request) validateEID(in VerifiedInput) error {
	switch {
	case in.Method == dsrflow.VerifyEID && (in.EID == nil || in.EID.NationalID == ""):
		return rejectf(dsrflow.EINVALID, "an eID verification carries the national id's keyed hash")
	case in.Method != "" && in.Method != dsrflow.VerifyEID && in.Method != dsrflow.VerifyEmailCode:
		return rejectf(dsrflow.EINVALID, "verification method %q is not email_code or eid", in.Method)
	case !r.verified && r.in.Verification == dsrflow.VerifyEID && in.Method != dsrflow.VerifyEID:
		return refuse("this request is verified with eID, not with a code")
	}
	return nil
}

// verifiedByEID records an eID verification: the request's identities gain what the broker confirmed
// (its name replaces a typed one), and the jobs treat those and the email as verified. It reports
// false for any other verification, which onVerified records as before.
func (r *request) verifiedByEID(ctx workflow.Context, in VerifiedInput) bool {
	if in.Method != dsrflow.VerifyEID || in.EID == nil {
		return false
	}
	if workflow.GetVersion(ctx, versionEID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false
	}
	id := r.in.Identity
	verified := []string{dsrflow.IdentityNationalID}
	id.NationalID = in.EID.NationalID
	if in.EID.Name != "" {
		id.Name = in.EID.Name
		verified = append(verified, dsrflow.IdentityName)
	}
	if in.EID.Birthdate != "" {
		id.Birthdate = in.EID.Birthdate
		verified = append(verified, dsrflow.IdentityBirthdate)
	}
	if id.Email != "" {
		verified = append(verified, dsrflow.IdentityEmail)
	}
	slices.Sort(verified)
	r.in.Identity, r.in.Verification, r.in.Verified = id, dsrflow.VerifyEID, verified
	r.audit(ctx, "identity_verified", map[string]string{"method": string(dsrflow.VerifyEID)}, in.Actor.ID, "")
	return true
}
