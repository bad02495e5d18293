package workflows_test

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// Revision 1 (RequestInput.Version) writes its bookkeeping in fewer calls, but the same: in every
// scenario the store gets the same audit events in the same order, the same final index row and the
// same answer as under the original steps, which requests started before it still run.
func TestRevisionsWriteTheSameRecords(t *testing.T) {
	scenarios := []struct {
		name  string
		typ   dsrflow.RequestType
		v     dsrflow.Verification
		setup func(h *harness)
	}{
		{name: "access attested", typ: dsrflow.Access, v: dsrflow.VerifyAgentAttested},
		{name: "erasure without verification, partners told", typ: dsrflow.Erasure, v: dsrflow.VerifyNone},
		{name: "access with the emailed code", typ: dsrflow.Access, v: dsrflow.VerifyEmailCode, setup: func(h *harness) {
			h.update(time.Hour, workflows.UpdateVerified, workflows.VerifiedInput{Actor: frontDoor})
		}},
		{name: "lapsed", typ: dsrflow.Access, v: dsrflow.VerifyEmailCode},
		{name: "canceled while verifying", typ: dsrflow.Access, v: dsrflow.VerifyEmailCode, setup: func(h *harness) {
			h.update(day, workflows.UpdateCancel, workflows.CancelInput{Actor: agent, Reason: "the subject withdrew the request by phone"})
		}},
		{name: "objection upheld", typ: dsrflow.Objection, v: dsrflow.VerifyAgentAttested, setup: func(h *harness) {
			h.update(2*time.Hour, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionApprove, Reason: "no overriding grounds"})
		}},
		{name: "objection declined", typ: dsrflow.Objection, v: dsrflow.VerifyAgentAttested, setup: func(h *harness) {
			h.update(2*time.Hour, workflows.UpdateDecide, workflows.DecisionInput{Actor: reviewer, Decision: workflows.DecisionReject, Reason: "compelling legitimate grounds"})
		}},
		{name: "a connector refuses, another retries", typ: dsrflow.Access, v: dsrflow.VerifyAgentAttested, setup: func(h *harness) {
			h.run["crm"] = func(job connectors.Job, attempt int) (activities.JobOutcome, error) {
				if attempt < 3 {
					return activities.JobOutcome{}, errors.New("connector answered 503")
				}
				return h.outcome(job, connectors.StatusCompleted), nil
			}
			h.run["billing"] = func(connectors.Job, int) (activities.JobOutcome, error) {
				return activities.JobOutcome{}, temporal.NewNonRetryableApplicationError("HTTP 404", activities.ErrPermanentConnector, nil)
			}
		}},
		{name: "extended while a job waits for its callback", typ: dsrflow.Access, v: dsrflow.VerifyAgentAttested, setup: func(h *harness) {
			h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
				return h.outcome(job, connectors.StatusAccepted), nil
			}
			h.update(3*day, workflows.UpdateExtend, workflows.ExtendInput{Actor: agent, Reason: "the archive must be searched by hand"})
			h.at(4*day, func() {
				h.env.SignalWorkflow(workflows.SignalJobResult, workflows.JobResult{JobID: jobID("crm", dsrflow.ActionAccess), Result: connectors.Result{Status: connectors.StatusCompleted}})
			})
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			run := func(version int) *harness {
				in := newInput(sc.typ, sc.v)
				in.Version = version
				if sc.typ == dsrflow.Objection {
					in.Grounds = "I object to profiling"
				}
				h := newHarness(t, in)
				if sc.setup != nil {
					sc.setup(h)
				}
				h.execute()
				return h
			}
			original, lean := run(0), run(workflows.RequestVersion)

			eq(t, "audit trail", trailOf(lean), trailOf(original))
			eq(t, "final index row", lastRow(lean), lastRow(original))
			respondOriginal, respondLean := original.onlyRespond(), lean.onlyRespond()
			respondLean.Begin, respondLean.End = nil, nil
			eq(t, "answer", respondLean, respondOriginal)
			if lean.writes >= original.writes {
				t.Errorf("revision 1 ran %d bookkeeping local activities, the original %d: it saves nothing", lean.writes, original.writes)
			}
			if len(lean.upserts) > len(original.upserts) {
				t.Errorf("revision 1 upserted search attributes %d times, the original %d", len(lean.upserts), len(original.upserts))
			}
			final, _ := lean.upserts[len(lean.upserts)-1].GetKeyword(workflows.AttrStatus)
			eq(t, "last status attribute", final, string(lastRow(original).Status))
		})
	}
}

// A final outcome the connector activity recorded itself is not recorded again by the workflow; one
// it did not record (the store was down) is.
func TestJobRecordedByTheConnectorActivity(t *testing.T) {
	h := newHarness(t, newInput(dsrflow.Access, dsrflow.VerifyAgentAttested))
	h.run["crm"] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
		o := h.outcome(job, connectors.StatusCompleted)
		o.Recorded = true
		return o, nil
	}

	h.execute()

	var recorded []string
	for _, o := range h.recorded {
		recorded = append(recorded, o.JobID)
	}
	eq(t, "recorded by the workflow", recorded, []string{jobID("billing", dsrflow.ActionAccess)})
}

type trailEntry struct {
	At                    time.Time
	Action, Actor, Reason string
	Detail                map[string]string
}

// trailOf is the harness's audit trail in time order. Events of the same moment are compared as a
// set: jobs running at once finish in any order, and an update handler's event races the main steps'.
func trailOf(h *harness) []trailEntry {
	var out []trailEntry
	for _, e := range h.trail {
		out = append(out, trailEntry{e.At, e.Action, e.Actor, e.Reason, e.Detail})
	}
	slices.SortStableFunc(out, func(a, b trailEntry) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.Action, b.Action), strings.Compare(a.Actor, b.Actor))
	})
	return out
}

func lastRow(h *harness) store.Request {
	return h.transitions[len(h.transitions)-1].Request
}

// Revision 1 starts every job of a request of up to a hundred connectors at once; the original steps
// start sixteen, the next only as one finishes.
func TestRevisionOneStartsEveryJobAtOnce(t *testing.T) {
	for _, tc := range []struct {
		version, atOnce int
	}{{0, 16}, {workflows.RequestVersion, 40}} {
		in := newInput(dsrflow.Access, dsrflow.VerifyAgentAttested)
		in.Version = tc.version
		h := newHarness(t, in)
		h.subsidiaries = nil
		for i := range 40 {
			ref := activities.ConnectorRef{ID: fmt.Sprintf("sub%02d", i), Owner: "Example", Role: connectors.RoleSubsidiary}
			h.subsidiaries = append(h.subsidiaries, ref)
			// Accepted, answered by the first poll a minute later: a slot frees only then.
			h.run[ref.ID] = func(job connectors.Job, _ int) (activities.JobOutcome, error) {
				return h.outcome(job, connectors.StatusAccepted), nil
			}
		}

		h.execute()

		started := 0
		for _, r := range h.runs {
			if r.At.Equal(start) {
				started++
			}
		}
		eq(t, fmt.Sprintf("version %d: jobs started at once", tc.version), started, tc.atOnce)
		eq(t, fmt.Sprintf("version %d: jobs run", tc.version), len(h.runs), 40)
	}
}
