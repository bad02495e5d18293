package answer

import (
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// The mails to a business customer about a routed item (issue 22): the group, as the customer's
// processor (GDPR Art. 28(3)(e)), tells the controller of the data in its tenant of a subject's request
// and asks for its instruction. They are written in the customer's language (customers.yaml,
// dsrflow.Languages) and in each language's data processing agreement vocabulary (texts/README.md). They
// name the request's type, the reference and the tenant, never the subject's identity or records. The
// instruction words (execute, decline, handled) and the action codes are the API's: every language
// prints them as they are and says so.

// Routed is what every mail about a routed item names.
type Routed struct {
	// Group signs the mail: the group that processes the data.
	Group string
	// Customer is the customer's legal name.
	Customer string
	// Ref is the routed item's id: the reference the customer quotes in its instruction.
	Ref  string
	Type dsrflow.RequestType
	// System is the processor system (its connector id), Tenant the customer's tenant in it.
	System, Tenant string
	// Due is the data processing agreement's assistance deadline, in the zone its date is told in.
	Due time.Time
}

// RoutedNotice tells the customer a subject's request found data in its tenant, and asks for its
// instruction by the deadline.
func RoutedNotice(language string, r Routed) Message {
	l := langOf(language)
	action := r.Type.Action()
	text := l.t("routed.notice.text", "group", r.Group, "type", l.routedType(r.Type), "tenant", r.Tenant, "system", r.System,
		"date", l.date(r.Due), "ref", r.Ref, "action", string(action), "action_words", l.routedAction(action))
	return l.routedMail(r, l.t("routed.notice.subject", "ref", r.Ref), text)
}

// RoutedReminder reminds the customer that its instruction is due.
func RoutedReminder(language string, r Routed) Message {
	l := langOf(language)
	due := l.date(r.Due)
	text := l.t("routed.reminder.text", "ref", r.Ref, "tenant", r.Tenant, "date", due)
	return l.routedMail(r, l.t("routed.reminder.subject", "ref", r.Ref, "date", due), text)
}

// RoutedEscalated tells the customer the deadline passed without its instruction, and that it can
// still instruct.
func RoutedEscalated(language string, r Routed) Message {
	l := langOf(language)
	text := l.t("routed.escalated.text", "ref", r.Ref, "tenant", r.Tenant, "date", l.date(r.Due))
	return l.routedMail(r, l.t("routed.escalated.subject", "ref", r.Ref), text)
}

// RoutedRecorded confirms a decline or a "handled" instruction: nothing is done in the tenant.
func RoutedRecorded(language string, r Routed, state dsrflow.RoutedState) Message {
	l := langOf(language)
	key := "routed.recorded.text.handled"
	if state == dsrflow.RoutedDeclined {
		key = "routed.recorded.text.declined"
	}
	return l.routedMail(r, l.t("routed.recorded.subject", "ref", r.Ref), l.t(key, "ref", r.Ref, "tenant", r.Tenant))
}

// RoutedExecuted confirms that the instructed action ran in the customer's tenant, and only there, with
// what the processor answered (status: completed, not_found or exempt).
func RoutedExecuted(language string, r Routed, action dsrflow.Action, status connectors.Status) Message {
	l := langOf(language)
	result := l.t("routed.executed.result.completed")
	if k := "routed.executed.result." + string(status); l.has(k) {
		result = l.t(k)
	}
	text := l.t("routed.executed.text", "ref", r.Ref, "tenant", r.Tenant, "action", string(action),
		"action_words", l.routedAction(action), "result", result)
	return l.routedMail(r, l.t("routed.executed.subject", "ref", r.Ref), text)
}

// routedMail puts the customer's greeting and the group's signature around text.
func (l lang) routedMail(r Routed, subject, text string) Message {
	return Message{Subject: subject,
		Text: l.t("routed.greeting", "customer", r.Customer) + "\n\n" + text + "\n\n" + l.t("routed.signoff", "group", r.Group) + "\n"}
}

// routedType names the subject's request as the customer reads it: "a request to erase their personal
// data" (routed.type.<type>).
func (l lang) routedType(t dsrflow.RequestType) string {
	if k := "routed.type." + string(t); l.has(k) {
		return l.t(k)
	}
	return l.t("routed.type.other")
}

// routedAction says what an action does in the customer's tenant (routed.action.<action>); an action
// without words is its code, which the mail prints beside it anyway.
func (l lang) routedAction(a dsrflow.Action) string {
	if k := "routed.action." + string(a); l.has(k) {
		return l.t(k)
	}
	return string(a)
}
