package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities/act"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Routing carries requests routed to the business customers that control data the group holds as a
// processor (issue 22): locating the subject in the processors' customer tenants, recording routed
// items, mailing the customers, and running an instructed action on one tenant.
type Routing struct {
	Connectors *Connectors
	Customers  *connectors.Customers
	Store      *store.Store
	// Group is the group's name as the customer mails sign it.
	Group string
	Now   func() time.Time
	// HTTP posts to the customers' callback URLs; nil follows no redirects.
	HTTP *http.Client
}

func (a *Routing) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// LocateTenants asks every processor matching the subject which customer tenants hold it. A tenant of
// a customer customers.yaml does not list cannot be routed: it is audited (ids only) and left out. A
// processor that cannot say (a permanent failure, a failed or conflicting answer) is audited
// routing_locate_failed with its id and the status, for a person; the other processors' tenants are
// still routed.
func (a *Routing) LocateTenants(ctx context.Context, in act.LocateInput) ([]act.Located, error) {
	var out []act.Located
	for _, c := range a.Connectors.Registry.Processors(in.Identity) {
		job := connectors.Job{
			Protocol: connectors.ProtocolVersion, ID: connectors.JobID(in.RequestID, c.ID, dsrflow.ActionLocate),
			RequestID: in.RequestID, Connector: c.ID, Action: dsrflow.ActionLocate,
			Identities: in.Identity, Verified: in.Verified, Deadline: in.Due,
		}
		failed := func(status string) error {
			_, err := a.Store.AppendAudit(ctx, dsrflow.AuditEvent{RequestID: in.RequestID, Action: "routing_locate_failed", Actor: "system",
				Detail: map[string]string{"connector": c.ID, "status": status}, Key: "routing_locate_failed:" + job.ID})
			return err
		}
		res, err := a.Connectors.submit(ctx, c, job)
		var ce *connectors.CallError
		if errors.As(err, &ce) && ce.Permanent {
			if err := failed("error"); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, retryable(err)
		}
		if !res.Status.Final() {
			// Asked again under the same job id until it answers; locate is quick in every processor we know.
			return nil, temporal.NewApplicationError("processor "+c.ID+" has not located the subject yet", "LocatePending")
		}
		if err := res.Validate(job.ID); err != nil {
			return nil, temporal.NewNonRetryableApplicationError("processor "+c.ID+": "+err.Error(), ErrPermanentConnector, nil)
		}
		if res.Status != connectors.StatusCompleted && res.Status != connectors.StatusNotFound {
			if err := failed(string(res.Status)); err != nil {
				return nil, err
			}
			continue
		}
		for _, t := range res.Tenants {
			if _, ok := a.Customers.Get(t.Customer); !ok {
				_, _ = a.Store.AppendAudit(ctx, dsrflow.AuditEvent{RequestID: in.RequestID, Action: "routing_customer_unknown", Actor: "system",
					Detail: map[string]string{"connector": c.ID, "customer": t.Customer, "tenant": t.Tenant}, Key: "routing_customer_unknown:" + dsrflow.RoutedID(in.RequestID, c.ID, t.Tenant)})
				continue
			}
			out = append(out, act.Located{Connector: c.ID, Tenant: t.Tenant, Customer: t.Customer})
		}
	}
	return out, nil
}

// reminderLead is how many business days before the DPA deadline the customer is reminded.
const reminderLead = 2

// OpenRouted records a routed item, computes its DPA deadline in business days, and mails the customer.
func (a *Routing) OpenRouted(ctx context.Context, in act.OpenRoutedInput) (act.RoutedRef, error) {
	cust, ok := a.Customers.Get(in.Customer)
	if !ok {
		return act.RoutedRef{}, temporal.NewNonRetryableApplicationError("customer "+in.Customer+" is no longer configured", ErrPermanentConnector, nil)
	}
	days := func(n int) time.Time {
		at, err := deadline.AddWorkingDays(in.Now, n, in.Country)
		if err != nil {
			return in.Now.Add(time.Duration(n) * 24 * time.Hour)
		}
		return at.UTC()
	}
	ref := act.RoutedRef{
		ID: dsrflow.RoutedID(in.RequestID, in.Connector, in.Tenant), RequestID: in.RequestID, Type: in.Type, Located: in.Located,
		LegalName: cust.LegalName, Contact: cust.Email, DueAt: days(cust.DeadlineDays), RemindAt: days(max(cust.DeadlineDays-reminderLead, 1)),
		Callback: cust.CallbackURL != "", Country: in.Country,
	}
	it, err := a.Store.OpenRouted(ctx, dsrflow.RoutedItem{ID: ref.ID, RequestID: in.RequestID, RequestType: in.Type, Customer: in.Customer,
		Tenant: in.Tenant, Connector: in.Connector, DueAt: ref.DueAt, NotifiedAt: in.Now})
	if err != nil {
		return act.RoutedRef{}, err
	}
	ref.DueAt = it.DueAt // as first recorded, should a retry compute it again
	if err := a.mail(ctx, cust, ref, "routed_notice", answer.RoutedNotice(cust.Language, a.customerMail(ref))); err != nil {
		return act.RoutedRef{}, err
	}
	return ref, nil
}

// RecordRouted records a reminder, an escalation or an instruction, and tells the customer.
func (a *Routing) RecordRouted(ctx context.Context, in act.RecordRoutedInput) error {
	cust, _ := a.Customers.Get(in.Ref.Customer)
	if in.Reminder {
		_, err := a.Store.AppendAudit(ctx, dsrflow.AuditEvent{RequestID: in.Ref.RequestID, Action: "routed_item_reminder", Actor: "system",
			Detail: map[string]string{"routed": in.Ref.ID, "customer": in.Ref.Customer}, At: in.At, Key: "routed_item_reminder:" + in.Ref.ID})
		if err != nil {
			return err
		}
		return a.mail(ctx, cust, in.Ref, "routed_reminder", answer.RoutedReminder(cust.Language, a.customerMail(in.Ref)))
	}
	_, err := a.Store.UpdateRouted(ctx, in.Ref.ID, store.RoutedChange{State: in.State, Instruction: in.Instruction, Action: in.Action,
		Reason: in.Reason, Actor: in.Actor, At: in.At})
	if err != nil {
		return err
	}
	switch in.State {
	case dsrflow.RoutedEscalated:
		return a.mail(ctx, cust, in.Ref, "routed_escalated", answer.RoutedEscalated(cust.Language, a.customerMail(in.Ref)))
	case dsrflow.RoutedDeclined, dsrflow.RoutedHandled:
		return a.mail(ctx, cust, in.Ref, "routed_recorded", answer.RoutedRecorded(cust.Language, a.customerMail(in.Ref), in.State))
	}
	return nil
}

// ExecuteRouted runs the instructed action on the customer's tenant only, then records the item
// executed and confirms to the customer. A result that is not done (failed, conflict) is an error: the
// workflow escalates the item to a person.
func (a *Routing) ExecuteRouted(ctx context.Context, in act.ExecuteRoutedInput) (act.ExecuteRoutedResult, error) {
	conn, err := a.Connectors.connector(in.Ref.Connector)
	if err != nil {
		return act.ExecuteRoutedResult{}, err
	}
	if conn.Role != connectors.RoleProcessor || !conn.Supports(in.Action) {
		return act.ExecuteRoutedResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("connector %s cannot %s for a customer", conn.ID, in.Action), ErrPermanentConnector, nil)
	}
	job := connectors.Job{
		Protocol: connectors.ProtocolVersion, ID: connectors.JobID(in.Ref.RequestID, conn.ID+"."+in.Ref.Tenant, in.Action),
		RequestID: in.Ref.RequestID, Connector: conn.ID, Action: in.Action, Tenant: in.Ref.Tenant, Corrections: in.Corrections,
		Identities: in.Identity, Verified: in.Verified, Deadline: in.Ref.DueAt,
	}
	defer heartbeat(ctx)()
	res, err := a.Connectors.submit(ctx, conn, job)
	if err != nil {
		return act.ExecuteRoutedResult{}, retryable(err)
	}
	if !res.Status.Final() {
		return act.ExecuteRoutedResult{}, temporal.NewApplicationError("processor "+conn.ID+" has not finished yet", "ExecutePending")
	}
	if res.Status != connectors.StatusCompleted && res.Status != connectors.StatusNotFound && res.Status != connectors.StatusExempt {
		return act.ExecuteRoutedResult{}, temporal.NewNonRetryableApplicationError("processor "+conn.ID+" answered "+string(res.Status), ErrPermanentConnector, nil)
	}
	if _, err := a.Store.UpdateRouted(ctx, in.Ref.ID, store.RoutedChange{State: dsrflow.RoutedExecuted, Action: in.Action, At: a.now()}); err != nil {
		return act.ExecuteRoutedResult{}, err
	}
	cust, _ := a.Customers.Get(in.Ref.Customer)
	if err := a.mail(ctx, cust, in.Ref, "routed_executed", answer.RoutedExecuted(cust.Language, a.customerMail(in.Ref), in.Action, res.Status)); err != nil {
		return act.ExecuteRoutedResult{}, err
	}
	if activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Info("routed item executed", "routed", in.Ref.ID, "action", in.Action, "status", res.Status)
	}
	return act.ExecuteRoutedResult{Status: string(res.Status), Counts: res.Counts}, nil
}

// CallbackRouted posts a routed item's event, signed with the customer's secret, to its callback_url
// (protocol v1; connectors.RoutedNotice): besides the mail, which is always sent. A failure is retried
// by the workflow's policy; a refusal (4xx) or the last attempt's failure is audited (routed_callback_
// failed, ids and the HTTP status only) and ends the activity without error: the customer has the mail.
func (a *Routing) CallbackRouted(ctx context.Context, in act.CallbackRoutedInput) error {
	cust, ok := a.Customers.Get(in.Ref.Customer)
	if !ok || cust.CallbackURL == "" {
		return nil // the customer (or its callback) is no longer configured: the mail went
	}
	n := connectors.RoutedNotice{
		Protocol: connectors.ProtocolVersion, Event: in.Event, RoutedID: in.Ref.ID, RequestType: in.Ref.Type,
		Customer: in.Ref.Customer, Tenant: in.Ref.Tenant, Connector: in.Ref.Connector, State: in.State,
		Action: in.Action, Status: connectors.Status(in.Status), DueAt: in.Ref.DueAt, At: in.At,
	}
	if !in.State.Final() && in.State != dsrflow.RoutedInstructed {
		n.Instructions = []string{dsrflow.InstructExecute, dsrflow.InstructDecline, dsrflow.InstructHandled}
		if in.Event == connectors.RoutedEventOpened {
			n.Action = in.Ref.Type.Action()
		}
	}
	err := connectors.PostRoutedNotice(ctx, a.HTTP, cust.CallbackURL, cust.Secret, n, a.now())
	if err == nil {
		return nil
	}
	var ce *connectors.CallError
	permanent := errors.As(err, &ce) && ce.Permanent
	last := activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt >= act.CallbackAttempts
	if !permanent && !last {
		return err
	}
	status := "none"
	if ce != nil && ce.StatusCode != 0 {
		status = strconv.Itoa(ce.StatusCode)
	}
	_, aerr := a.Store.AppendAudit(ctx, dsrflow.AuditEvent{RequestID: in.Ref.RequestID, Action: "routed_callback_failed", Actor: "system",
		Detail: map[string]string{"routed": in.Ref.ID, "customer": in.Ref.Customer, "event": in.Event, "http_status": status},
		At:     a.now(), Key: "routed_callback_failed:" + in.Event + ":" + in.Ref.ID})
	return aerr
}

func (a *Routing) mail(ctx context.Context, cust connectors.Customer, ref act.RoutedRef, kind string, m answer.Message) error {
	if cust.Email == "" {
		return temporal.NewNonRetryableApplicationError("customer "+ref.Customer+" has no privacy contact", ErrPermanentConnector, nil)
	}
	_, err := a.Store.EnqueueMessage(ctx, store.Message{ID: kind + ":" + ref.ID, RequestID: ref.RequestID, Kind: kind, To: cust.Email,
		Subject: m.Subject, Body: m.Text, CreatedAt: a.now()})
	if err != nil {
		return fmt.Errorf("queue %s mail for %s: %w", kind, ref.RequestID, err)
	}
	return nil
}

// customerMail is what the customer mails about ref name (internal/answer's Routed): the request's
// type, the reference and the tenant, never the subject's identity or records. The deadline's date is
// the one in the request's country, where its business days were counted.
func (a *Routing) customerMail(ref act.RoutedRef) answer.Routed {
	loc, err := deadline.Location(ref.Country)
	if err != nil {
		loc = time.UTC
	}
	return answer.Routed{Group: a.Group, Customer: ref.LegalName, Ref: ref.ID, Type: ref.Type, System: ref.Connector,
		Tenant: ref.Tenant, Due: ref.DueAt.In(loc)}
}
