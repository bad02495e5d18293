package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestMarketingObjectionIsAbsolute: an objection to direct marketing (GDPR Art. 21(3)) goes from receipt
// straight to fulfilment with no review card, a reviewer's reject is refused with the reason while it
// runs, and the subject's address goes on the suppression list.
func TestMarketingObjectionIsAbsolute(t *testing.T) {
	in := newInput(dsrflow.Objection, dsrflow.VerifyNone)
	in.Purposes, in.DirectMarketing = []string{"marketing"}, true
	h := newHarness(t, in)
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		// The connector is slow: a reviewer tries to reject the objection meanwhile.
		return h.outcome(job, connectors.StatusAccepted), nil
	}
	reject := h.update(time.Minute, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "we like mailing her"})

	out := h.execute()

	eq(t, "statuses", h.statuses(), []dsrflow.Status{dsrflow.StatusFulfilling, dsrflow.StatusResponding, dsrflow.StatusCompleted})
	eq(t, "outcome", out.Status, dsrflow.StatusCompleted)
	eq(t, "review cards", len(h.cards), 0)
	eq(t, "decisions", len(h.decisions), 0)
	if reject.accepted || errType(reject.rejected) != dsrflow.ECONFLICT || !strings.Contains(reject.rejected.Error(), "Art. 21(3)") {
		t.Errorf("reject of a marketing objection: accepted=%v rejected=%v, want refused %s naming Art. 21(3)", reject.accepted, reject.rejected, dsrflow.ECONFLICT)
	}
	eq(t, "review_not_required events", len(h.eventsNamed("review_not_required")), 1)
	for _, r := range h.runs {
		eq(t, "purposes on "+r.Arg.ID, r.Arg.Purposes, []string{"marketing"})
	}
	eq(t, "suppressed", h.suppressed, []activities.SuppressInput{{RequestID: requestID, Email: subjectEmail, Reason: string(dsrflow.Objection)}})
	eq(t, "address_suppressed events", len(h.eventsNamed("address_suppressed")), 1)
}

// TestObjectionOtherPurposesIsReviewed: an objection that names no direct-marketing purpose is weighed
// by a reviewer as before, and may be rejected; nothing is suppressed.
func TestObjectionOtherPurposesIsReviewed(t *testing.T) {
	in := newInput(dsrflow.Objection, dsrflow.VerifyAgentAttested)
	in.Purposes, in.Grounds = []string{"security"}, "my particular situation"
	h := newHarness(t, in)
	reject := h.update(time.Hour, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "compelling grounds: fraud prevention"})

	out := h.execute()

	if !reject.accepted || reject.err != nil {
		t.Errorf("reject: %+v", reject)
	}
	eq(t, "outcome", out.Status, dsrflow.StatusRejected)
	eq(t, "suppressed", len(h.suppressed), 0)
}

// TestSuppressedOnFulfilment: a marketing opt-out and an erasure put the address on the suppression
// list once their jobs ran; an access request does not.
func TestSuppressedOnFulfilment(t *testing.T) {
	for _, tc := range []struct {
		typ  dsrflow.RequestType
		want int
	}{{dsrflow.MarketingOptout, 1}, {dsrflow.Erasure, 1}, {dsrflow.Access, 0}} {
		t.Run(string(tc.typ), func(t *testing.T) {
			h := newHarness(t, newInput(tc.typ, dsrflow.VerifyAgentAttested))
			h.execute()
			eq(t, "suppressed", len(h.suppressed), tc.want)
			if tc.want > 0 {
				eq(t, "reason", h.suppressed[0].Reason, string(tc.typ))
			}
		})
	}
}
