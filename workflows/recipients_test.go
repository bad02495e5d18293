package workflows_test

import (
	"slices"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
)

// TestArt19NoticesGoOnlyToRealRecipients: partners are told of an erasure (Art. 19) only when a
// subsidiary's job of this request found the subject, and only the recipients of those subsidiaries are
// asked for; a subject held nowhere is sent to no partner, and the answer then has no partner outcome.
func TestArt19NoticesGoOnlyToRealRecipients(t *testing.T) {
	status := func(m map[string]connectors.Status) func(*harness) {
		return func(h *harness) {
			for id, st := range m {
				h.run[id] = func(job connectors.Job, _ int) (activities.JobOutcome, error) { return h.outcome(job, st), nil }
			}
		}
	}
	for _, tc := range []struct {
		name    string
		setup   func(*harness)
		heldBy  []string // nil: no partner selection at all
		notify  bool
		auditWy string
	}{
		{"held nowhere", status(map[string]connectors.Status{"crm": connectors.StatusNotFound, "billing": connectors.StatusNotFound}), nil, false, "no system held the subject"},
		{"held by crm only", status(map[string]connectors.Status{"crm": connectors.StatusCompleted, "billing": connectors.StatusNotFound}), []string{"crm"}, true, ""},
		{"kept by billing (exempt)", status(map[string]connectors.Status{"crm": connectors.StatusNotFound, "billing": connectors.StatusExempt}), []string{"billing"}, true, ""},
		{"failed and conflict hold nothing known", status(map[string]connectors.Status{"crm": connectors.StatusIdentityConflict, "billing": connectors.StatusFailed}), nil, false, "no system held the subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newInput(dsrflow.Erasure, dsrflow.VerifyNone)
			in.Version = 1 // no escalation waits: a failed or conflicting job ends as it is
			h := newHarness(t, in)
			tc.setup(h)
			h.execute()

			var partnerSelects []activities.SelectInput
			for _, s := range h.selects {
				if s.Partners {
					partnerSelects = append(partnerSelects, s)
				}
			}
			if tc.heldBy == nil {
				eq(t, "partner selections", len(partnerSelects), 0)
			} else {
				eq(t, "partner selections", partnerSelects, []activities.SelectInput{
					{Action: dsrflow.ActionNotify, Identity: h.in.Identity, Partners: true, RecipientsTracked: true, HeldBy: tc.heldBy},
				})
			}
			notified := slices.Contains(h.runIDs(), jobID("adnet", dsrflow.ActionNotify))
			eq(t, "adnet notified", notified, tc.notify)
			partnerInAnswer := slices.ContainsFunc(h.onlyRespond().Outcomes, func(o activities.JobOutcome) bool {
				return o.Connector.Role == connectors.RolePartner
			})
			eq(t, "a partner in the answer", partnerInAnswer, tc.notify)
			var why string
			for _, e := range h.trail {
				if e.Action == "partners_not_notified" {
					why = e.Detail["why"]
				}
			}
			eq(t, "audited why no partner was told", why, tc.auditWy)
		})
	}
}
