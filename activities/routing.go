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
		Callback: cust.CallbackURL != "",
	}
	it, err := a.Store.OpenRouted(ctx, dsrflow.RoutedItem{ID: ref.ID, RequestID: in.RequestID, RequestType: in.Type, Customer: in.Customer,
		Tenant: in.Tenant, Connector: in.Connector, DueAt: ref.DueAt, NotifiedAt: in.Now})
	if err != nil {
		return act.RoutedRef{}, err
	}
	ref.DueAt = it.DueAt // as first recorded, should a retry compute it again
	if err := a.mail(ctx, cust, ref, "routed_notice", routedNotice(cust.Language, a.Group, ref)); err != nil {
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
		return a.mail(ctx, cust, in.Ref, "routed_reminder", routedReminder(cust.Language, a.Group, in.Ref))
	}
	_, err := a.Store.UpdateRouted(ctx, in.Ref.ID, store.RoutedChange{State: in.State, Instruction: in.Instruction, Action: in.Action,
		Reason: in.Reason, Actor: in.Actor, At: in.At})
	if err != nil {
		return err
	}
	switch in.State {
	case dsrflow.RoutedEscalated:
		return a.mail(ctx, cust, in.Ref, "routed_escalated", routedEscalated(cust.Language, a.Group, in.Ref))
	case dsrflow.RoutedDeclined, dsrflow.RoutedHandled:
		return a.mail(ctx, cust, in.Ref, "routed_recorded", routedRecorded(cust.Language, a.Group, in.Ref, in.State))
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
	if err := a.mail(ctx, cust, in.Ref, "routed_executed", routedExecuted(cust.Language, a.Group, in.Ref, in.Action, res.Status)); err != nil {
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

func (a *Routing) mail(ctx context.Context, cust connectors.Customer, ref act.RoutedRef, kind string, text [2]string) error {
	if cust.Email == "" {
		return temporal.NewNonRetryableApplicationError("customer "+ref.Customer+" has no privacy contact", ErrPermanentConnector, nil)
	}
	_, err := a.Store.EnqueueMessage(ctx, store.Message{ID: kind + ":" + ref.ID, RequestID: ref.RequestID, Kind: kind, To: cust.Email,
		Subject: text[0], Body: text[1], CreatedAt: a.now()})
	if err != nil {
		return fmt.Errorf("queue %s mail for %s: %w", kind, ref.RequestID, err)
	}
	return nil
}

// The customer mails, in the customer's language (customers.yaml): English, or Norwegian (nb). They
// name the request's type, the reference and the tenant, never the subject's records.

func routedNotice(lang, group string, ref act.RoutedRef) [2]string {
	due := ref.DueAt.Format(time.DateOnly)
	if lang == "nb" {
		return [2]string{
			"Henvendelse fra en registrert videresendt til dere (" + ref.ID + ")",
			fmt.Sprintf("Hei %s,\n\n%s behandler personopplysninger på vegne av dere som databehandler. En person har sendt oss en henvendelse av typen %q, og vi har funnet opplysninger om personen i deres tenant %s hos %s.\n\nDere er behandlingsansvarlig for disse opplysningene, og vi handler bare etter deres instruks. Vi har ikke gitt personen noen av opplysningene i tenanten; vi har fortalt personen at henvendelsen er videresendt til dere.\n\nGi oss instruks innen %s (databehandleravtalens frist), med referanse %s:\n- execute med handlingen vi skal utføre i tenanten (%s),\n- decline med begrunnelse, eller\n- handled om dere har håndtert den selv.\n\nHilsen\n%s\n",
				ref.LegalName, group, ref.Type, ref.Tenant, ref.Connector, due, ref.ID, ref.Type.Action(), group),
		}
	}
	return [2]string{
		"Data subject request forwarded to you (" + ref.ID + ")",
		fmt.Sprintf("Dear %s,\n\n%s processes personal data on your behalf as your processor. A person has sent us a %q request, and we found data about them in your tenant %s of %s.\n\nYou are the controller of that data, and we act on it only on your instruction. We have given the person none of your tenant's data; we told them their request was forwarded to you.\n\nPlease instruct us by %s (your data processing agreement's deadline), quoting reference %s:\n- execute, with the action to run in your tenant (%s),\n- decline, with your reason, or\n- handled, if you dealt with it yourselves.\n\nKind regards,\n%s\n",
			ref.LegalName, group, ref.Type, ref.Tenant, ref.Connector, due, ref.ID, ref.Type.Action(), group),
	}
}

func routedReminder(lang, group string, ref act.RoutedRef) [2]string {
	due := ref.DueAt.Format(time.DateOnly)
	if lang == "nb" {
		return [2]string{"Påminnelse: instruks trengs innen " + due + " (" + ref.ID + ")",
			fmt.Sprintf("Hei %s,\n\nVi har ennå ikke fått deres instruks om henvendelsen med referanse %s (tenant %s). Fristen etter databehandleravtalen er %s.\n\nHilsen\n%s\n", ref.LegalName, ref.ID, ref.Tenant, due, group)}
	}
	return [2]string{"Reminder: your instruction is due by " + due + " (" + ref.ID + ")",
		fmt.Sprintf("Dear %s,\n\nWe have not yet received your instruction on the request with reference %s (tenant %s). Your data processing agreement's deadline is %s.\n\nKind regards,\n%s\n", ref.LegalName, ref.ID, ref.Tenant, due, group)}
}

func routedEscalated(lang, group string, ref act.RoutedRef) [2]string {
	due := ref.DueAt.Format(time.DateOnly)
	if lang == "nb" {
		return [2]string{"Fristen er passert: " + ref.ID,
			fmt.Sprintf("Hei %s,\n\nFristen %s for instruks om henvendelsen med referanse %s (tenant %s) er passert. Saken er eskalert til vårt personvernombud. Dere kan fortsatt gi instruks.\n\nHilsen\n%s\n", ref.LegalName, due, ref.ID, ref.Tenant, group)}
	}
	return [2]string{"Deadline passed: " + ref.ID,
		fmt.Sprintf("Dear %s,\n\nThe deadline of %s for your instruction on the request with reference %s (tenant %s) has passed. We have escalated it to our data protection officer. You can still instruct us.\n\nKind regards,\n%s\n", ref.LegalName, due, ref.ID, ref.Tenant, group)}
}

func routedRecorded(lang, group string, ref act.RoutedRef, state dsrflow.RoutedState) [2]string {
	what := map[dsrflow.RoutedState][2]string{
		dsrflow.RoutedDeclined: {"that you decline to act on it", "at dere avslår å følge den opp"},
		dsrflow.RoutedHandled:  {"that you handled it yourselves", "at dere har håndtert den selv"},
	}[state]
	if lang == "nb" {
		return [2]string{"Instruks registrert: " + ref.ID,
			fmt.Sprintf("Hei %s,\n\nVi har registrert for henvendelsen med referanse %s (tenant %s) %s. Vi gjør ingenting i tenanten.\n\nHilsen\n%s\n", ref.LegalName, ref.ID, ref.Tenant, what[1], group)}
	}
	return [2]string{"Instruction recorded: " + ref.ID,
		fmt.Sprintf("Dear %s,\n\nWe have recorded for the request with reference %s (tenant %s) %s. We do nothing in your tenant.\n\nKind regards,\n%s\n", ref.LegalName, ref.ID, ref.Tenant, what[0], group)}
}

func routedExecuted(lang, group string, ref act.RoutedRef, action dsrflow.Action, status connectors.Status) [2]string {
	en := map[connectors.Status]string{
		connectors.StatusCompleted: "done",
		connectors.StatusNotFound:  "done: the tenant held no data about the person any more",
		connectors.StatusExempt:    "done, except data the system keeps on a legal basis",
	}[status]
	nb := map[connectors.Status]string{
		connectors.StatusCompleted: "utført",
		connectors.StatusNotFound:  "utført: tenanten hadde ingen opplysninger om personen lenger",
		connectors.StatusExempt:    "utført, unntatt opplysninger systemet beholder med rettslig grunnlag",
	}[status]
	if lang == "nb" {
		return [2]string{"Instruks utført: " + ref.ID,
			fmt.Sprintf("Hei %s,\n\nDeres instruks %s for henvendelsen med referanse %s er %s i tenant %s, og bare der.\n\nHilsen\n%s\n", ref.LegalName, action, ref.ID, nb, ref.Tenant, group)}
	}
	return [2]string{"Instruction carried out: " + ref.ID,
		fmt.Sprintf("Dear %s,\n\nYour instruction to %s for the request with reference %s is %s in tenant %s, and only there.\n\nKind regards,\n%s\n", ref.LegalName, action, ref.ID, en, ref.Tenant, group)}
}
