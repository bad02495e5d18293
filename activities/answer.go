package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Answer composes the subject's answer, builds the export for access and portability, and queues the
// message.
type Answer struct {
	Store      *store.Store
	Controller answer.Controller
	// Key signs the subject's export link; PublicURL is the front door's base URL it points to.
	Key       secret.Key
	PublicURL string
	Now       func() time.Time
	// Connectors, when set, names in the answer the partners that received the subject's data (the
	// recipients of the systems that held her) and the systems that cannot act on the right.
	Connectors *connectors.Registry
	// AwaitDelivery: NoticeSent waits until the outbox has sent the message (a dispatcher delivers it);
	// otherwise (the dev stack, mail kept in the outbox) a queued message counts as given.
	AwaitDelivery bool
}

// Respond is idempotent: the export is overwritten with the same content, the message has a fixed id
// and the transitions' events are keyed by the activity.
func (a *Answer) Respond(ctx context.Context, in RespondInput) error {
	if in.Begin != nil {
		if err := writeTransition(ctx, a.Store, *in.Begin, activityKey(ctx)+"/begin"); err != nil {
			return err
		}
	}
	if err := a.respond(ctx, in); err != nil {
		return err
	}
	if in.End != nil {
		return writeTransition(ctx, a.Store, *in.End, activityKey(ctx)+"/end")
	}
	return nil
}

func (a *Answer) respond(ctx context.Context, in RespondInput) error {
	now := time.Now().UTC()
	if a.Now != nil {
		now = a.Now().UTC()
	}
	// Dates in the answer are the subject's local dates, as the deadline was counted.
	loc, err := deadline.Location(in.Country)
	if err != nil {
		loc = time.UTC
	}
	ai := answer.Input{
		RequestID: in.RequestID, Type: in.Type, Country: in.Country, Residence: in.Residence, Received: in.Received.In(loc),
		Due: in.Due.In(loc).Add(-time.Nanosecond), Closed: in.Closed.In(loc), Status: in.Status, Reason: in.Reason, Ground: in.Ground, Corrections: in.Corrections, Purposes: in.Purposes,
		RestrictionGround: in.RestrictionGround,
	}
	// The law the request was made under is its row's: a CCPA request is answered in the CCPA's terms.
	switch req, err := a.Store.GetRequest(ctx, in.RequestID); {
	case err == nil:
		ai.Jurisdiction, ai.Language = req.Jurisdiction, req.Language
		if ai.Residence == "" {
			ai.Residence = req.Residence
		}
	case dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND:
		return fmt.Errorf("read request %s for its answer: %w", in.RequestID, err)
	}
	records, err := a.records(ctx, in)
	if err != nil {
		return err
	}
	for _, o := range in.Outcomes {
		ai.Outcomes = append(ai.Outcomes, answer.Outcome{
			ConnectorID: o.Connector.ID, Owner: o.Connector.Owner, Role: o.Connector.Role, Action: o.Action,
			Status: o.Status, Detail: o.Detail, Records: records[o.JobID], Exemptions: o.Exemptions, Counts: o.Counts,
			Items: o.Items, ToSubject: o.ToSubject,
		})
	}
	seen := map[string]bool{}
	for _, r := range in.Routed {
		if !seen[r.Customer] {
			seen[r.Customer] = true
			ai.Controllers = append(ai.Controllers, answer.CustomerContact{LegalName: r.LegalName, Contact: r.Contact})
		}
	}
	if in.Status == dsrflow.StatusCompleted {
		ai.Recipients, ai.Unable = a.recipients(in), a.unable(in)
		ai.RecipientsKnown = a.Connectors != nil
	}
	if in.Status == dsrflow.StatusCompleted && in.Type.HasExport() {
		until := now.Add(dsrflow.DeadlinePolicy.ExportValidFor)
		ai.ExportAvailableUntil = &until
		if a.PublicURL != "" {
			ai.ExportURL = a.PublicURL + "/exports/" + in.RequestID + "?" + a.Key.ExportLink(in.RequestID, until)
		}
		var zip bytes.Buffer
		if err := answer.BuildExport(a.Controller, ai, &zip); err != nil {
			return fmt.Errorf("export for %s: %w", in.RequestID, err)
		}
		// The store encrypts it under the request's data key: shredding the request destroys it too.
		if err := a.Store.PutExport(ctx, store.Export{RequestID: in.RequestID, Data: zip.Bytes(), CreatedAt: now, ExpiresAt: until}); err != nil {
			return fmt.Errorf("store export for %s: %w", in.RequestID, err)
		}
	}
	msg := answer.Compose(a.Controller, ai)
	if in.To == "" {
		return nil
	}
	_, err = a.Store.EnqueueMessage(ctx, store.Message{
		ID: in.RequestID + ":answer", RequestID: in.RequestID, Kind: "answer", To: in.To,
		Subject: msg.Subject, Body: msg.Text, CreatedAt: now,
	})
	if err != nil {
		return fmt.Errorf("queue answer for %s: %w", in.RequestID, err)
	}
	return nil
}

// recipients are the partners that received the subject's data: the recipients (connectors.yaml) of the
// subsidiaries whose jobs of the request found her.
func (a *Answer) recipients(in RespondInput) []answer.PartnerReceipt {
	if a.Connectors == nil {
		return nil
	}
	from := map[string][]string{}
	var held []string
	for _, o := range in.Outcomes {
		if o.Connector.Role == connectors.RolePartner || o.Action != in.Type.Action() {
			continue
		}
		if o.Status != connectors.StatusCompleted && o.Status != connectors.StatusExempt {
			continue
		}
		c, ok := a.Connectors.Get(o.Connector.ID)
		if !ok {
			continue
		}
		held = append(held, c.ID)
		for _, p := range c.Recipients {
			from[p] = append(from[p], c.Owner)
		}
	}
	var out []answer.PartnerReceipt
	for _, p := range a.Connectors.RecipientsOf(held) {
		out = append(out, answer.PartnerReceipt{Owner: p.Owner, From: from[p.ID]})
	}
	return out
}

// unable are the subsidiaries that cannot carry out the request's action, so no job went to them.
func (a *Answer) unable(in RespondInput) []answer.System {
	if a.Connectors == nil {
		return nil
	}
	var out []answer.System
	for _, c := range a.Connectors.List() {
		if c.Role == connectors.RoleSubsidiary && !c.Supports(in.Type.Action()) {
			out = append(out, answer.System{Owner: c.Owner, ConnectorID: c.ID, Categories: c.Categories})
		}
	}
	return out
}

// records reads the access jobs' records from the store, by job id.
func (a *Answer) records(ctx context.Context, in RespondInput) (map[string][]connectors.Record, error) {
	out := map[string][]connectors.Record{}
	if !in.Type.HasExport() {
		return out, nil
	}
	stored, err := a.Store.ListJobRecords(ctx, in.RequestID)
	if err != nil {
		return nil, fmt.Errorf("records of %s: %w", in.RequestID, err)
	}
	for jobID, data := range stored {
		var recs []connectors.Record
		if err := json.Unmarshal(data, &recs); err != nil {
			return nil, fmt.Errorf("records of %s: %w", jobID, err)
		}
		out[jobID] = recs
	}
	return out, nil
}
