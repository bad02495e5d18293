package workflows_test

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/workflows"
)

// eidConfirmed is what the front door hands over after an eID verification: the national id only as
// its keyed hash.
var eidConfirmed = dsrflow.Identity{NationalID: "hmac-of-the-national-id", Name: "Jane Smith", Birthdate: "1990-02-01"}

// A request that takes eID (a type the controller marks sensitive) is mailed its status link, never a
// code; a code's verification is refused before it enters history; the eID verification lets the jobs
// run with the confirmed identities marked verified.
func TestEIDRequestRefusesACodeAndRunsWithTheConfirmedIdentities(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyEID)
	in.Identity.Name = "J. Smith" // typed; the broker's name replaces it
	h := newHarness(t, in)
	code := h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
	noID := h.update(time.Hour+time.Minute, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor, Method: dsrflow.VerifyEID, EID: &dsrflow.Identity{Name: "Jane Smith"}})
	verified := h.update(2*time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor, Method: dsrflow.VerifyEID, EID: &eidConfirmed})
	h.execute()

	if code.accepted || errType(code.refusal()) != dsrflow.ECONFLICT {
		t.Errorf("a code for an eID request: accepted=%v refusal=%v, want refused", code.accepted, code.refusal())
	}
	if noID.accepted || errType(noID.refusal()) != dsrflow.EINVALID {
		t.Errorf("an eID verification without the national id: accepted=%v refusal=%v", noID.accepted, noID.refusal())
	}
	if !verified.accepted || !verified.state.Verified || !verified.state.EID {
		t.Fatalf("eID verification: %+v", verified)
	}
	eq(t, "mails issued", h.codeKinds(), []string{"eid_code"})
	if len(h.runs) == 0 {
		t.Fatal("no jobs ran")
	}
	for _, r := range h.runs {
		eq(t, "verified identities of "+r.Arg.ID, r.Arg.Verified, []string{dsrflow.IdentityBirthdate, dsrflow.IdentityEmail, dsrflow.IdentityName, dsrflow.IdentityNationalID})
		eq(t, "identities of "+r.Arg.ID, r.Arg.Identities, dsrflow.Identity{Email: subjectEmail, Name: "Jane Smith", NationalID: eidConfirmed.NationalID, Birthdate: eidConfirmed.Birthdate})
	}
	ev := h.eventsNamed("identity_verified")
	if len(ev) != 1 || ev[0].Detail["method"] != "eid" {
		t.Fatalf("identity_verified events: %+v", ev)
	}
}

// An access request waiting for its emailed code may be verified by eID instead: the code's request
// becomes an eID one, and what the broker confirmed is verified beside the email.
func TestCodeRequestMayBeVerifiedByEID(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyEmailCode)
	h := newHarness(t, in)
	verified := h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor, Method: dsrflow.VerifyEID, EID: &dsrflow.Identity{NationalID: "hmac-of-the-national-id"}})
	h.execute()
	if !verified.accepted || !verified.state.EID {
		t.Fatalf("eID verification of a code request: %+v", verified)
	}
	eq(t, "codes issued", h.codeKinds(), []string{"code"})
	for _, r := range h.runs {
		eq(t, "verified identities of "+r.Arg.ID, r.Arg.Verified, []string{dsrflow.IdentityEmail, dsrflow.IdentityNationalID})
		eq(t, "name of "+r.Arg.ID, r.Arg.Identities.Name, subjectName) // the typed name stays, unverified
	}
}

// An eID request never verified lapses like a code request, after the same reminders, each a mail
// with its status link and no code.
func TestEIDRequestLapsesAfterItsReminders(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Portability, dsrflow.VerifyEID))
	out := h.execute()
	eq(t, "status", out.Status, dsrflow.StatusLapsed)
	eq(t, "mails issued", h.codeKinds(), []string{"eid_code", "eid_reminder", "eid_reminder"})
}
