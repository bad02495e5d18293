package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Acknowledge queues the confirmation of receipt of a CCPA request (answer.Acknowledge, 11 CCR
// 7021(a)) to the subject, and its copy to the authorized agent who submitted the request. The
// messages' ids are fixed by the request ("<id>:ack", "<id>:ack:agent") and the outbox keeps the first
// message of an id, so a retried activity, a replayed workflow or a second front door never sends one twice.
func (a *Answer) Acknowledge(ctx context.Context, in AcknowledgeInput) (AcknowledgeResult, error) {
	now := time.Now().UTC()
	if a.Now != nil {
		now = a.Now().UTC()
	}
	loc, err := deadline.Location(in.Country)
	if err != nil {
		loc = time.UTC
	}
	ack := answer.Acknowledgement{RequestID: in.RequestID, Type: in.Type, Verification: in.Verification,
		Received: in.Received.In(loc), Due: in.Due.In(loc).Add(-time.Nanosecond)}
	agent, err := a.Store.GetRequestAgent(ctx, in.RequestID)
	hasAgent := err == nil
	if err != nil && dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		return AcknowledgeResult{}, fmt.Errorf("read agent of %s: %w", in.RequestID, err)
	}
	if hasAgent {
		ack.Agent = agent.Name
	}
	if in.To != "" {
		m := answer.Acknowledge(a.Controller, ack)
		if _, err := a.Store.EnqueueMessage(ctx, store.Message{ID: in.RequestID + ":ack", RequestID: in.RequestID, Kind: "acknowledgement",
			To: in.To, Subject: m.Subject, Body: m.Text, CreatedAt: now}); err != nil {
			return AcknowledgeResult{}, fmt.Errorf("queue acknowledgement for %s: %w", in.RequestID, err)
		}
	}
	if !hasAgent || agent.Email == "" {
		return AcknowledgeResult{}, nil
	}
	ack.ToAgent = true
	m := answer.Acknowledge(a.Controller, ack)
	if _, err := a.Store.EnqueueMessage(ctx, store.Message{ID: in.RequestID + ":ack:agent", RequestID: in.RequestID, Kind: "acknowledgement_agent",
		To: agent.Email, Subject: m.Subject, Body: m.Text, CreatedAt: now}); err != nil {
		return AcknowledgeResult{}, fmt.Errorf("queue the agent's acknowledgement for %s: %w", in.RequestID, err)
	}
	return AcknowledgeResult{AgentCopy: true}, nil
}
