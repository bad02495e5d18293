package workflows_test

import (
	"testing"

	"github.com/dsrflow/dsrflow"
)

// TestCCPARequestIsAcknowledged: a CCPA request's receipt is confirmed once, at once, before its
// identity step, with what the confirmation names (reference, verification, due date); a GDPR request
// gets no confirmation.
func TestCCPARequestIsAcknowledged(t *testing.T) {
	in := newInput(dsrflow.Access, dsrflow.VerifyAgentAttested)
	in.Jurisdiction, in.Country = "ccpa", "US"
	h := newHarness(t, in)

	out := h.execute()

	eq(t, "status", out.Status, dsrflow.StatusCompleted)
	if len(h.acks) != 1 {
		t.Fatalf("acknowledgements: %+v", h.acks)
	}
	a := h.acks[0]
	if a.RequestID != in.ID || a.To != subjectEmail || !a.Due.Equal(in.Due) || !a.Received.Equal(in.ReceivedAt) || a.Verification != dsrflow.VerifyAgentAttested {
		t.Errorf("acknowledgement input: %+v", a)
	}
	eq(t, "first events", actions(h.trail[:3]), []string{"request_received", "acknowledgement_sent", "identity_attested"})

	gdpr := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyAgentAttested))
	gdpr.execute()
	eq(t, "GDPR acknowledgements", len(gdpr.acks), 0)
	eq(t, "GDPR acknowledgement events", len(gdpr.eventsNamed("acknowledgement_sent")), 0)
}
