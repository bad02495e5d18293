package dsrflow

import "time"

// A routed item is a subject's request forwarded to the business customer that controls data the group
// holds for it as a processor (GDPR Art. 28(3)(e)): a processor system found the subject in one of the
// customer's tenants, the customer is told, and acts only on the customer's instruction.

// RoutedState is where a routed item is.
type RoutedState string

// Routed item states: notified (the customer was told) → instructed (execute received, running) →
// executed; or declined, handled (the customer dealt with it itself); escalated when the DPA's
// assistance deadline passed without an instruction (it can still be instructed).
const (
	RoutedNotified   RoutedState = "notified"
	RoutedInstructed RoutedState = "instructed"
	RoutedExecuted   RoutedState = "executed"
	RoutedDeclined   RoutedState = "declined"
	RoutedHandled    RoutedState = "handled"
	RoutedEscalated  RoutedState = "escalated"
)

// Final reports whether the state ends the routed item.
func (s RoutedState) Final() bool {
	return s == RoutedExecuted || s == RoutedDeclined || s == RoutedHandled
}

// Instructions a customer gives on a routed item.
const (
	InstructExecute = "execute" // run Action in the customer's tenant through the processor
	InstructDecline = "decline" // the customer will not act; Reason says why
	InstructHandled = "handled" // the customer dealt with it itself
)

// RoutedItem is one customer tenant holding data about a request's subject. It holds no personal
// data: ids, states and times (Reason is the customer's text about its decision).
type RoutedItem struct {
	ID          string      `json:"id"`
	RequestID   string      `json:"request_id"`
	RequestType RequestType `json:"request_type"`
	Customer    string      `json:"customer"`
	// LegalName is the customer's legal name from the customers registry (customers.yaml), filled in
	// by the service; empty when the customer is no longer in the registry.
	LegalName string      `json:"legal_name,omitempty"`
	Tenant    string      `json:"tenant"`
	Connector string      `json:"connector"`
	State     RoutedState `json:"state"`
	// Instruction is the customer's instruction (execute, decline, handled); Action what it asked to
	// execute; Reason a decline's reason.
	Instruction string `json:"instruction,omitempty"`
	Action      Action `json:"action,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// DueAt is the DPA's assistance deadline: escalated when no instruction came by then.
	DueAt        time.Time  `json:"due_at"`
	NotifiedAt   time.Time  `json:"notified_at"`
	InstructedAt *time.Time `json:"instructed_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	EscalatedAt  *time.Time `json:"escalated_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// RoutedID is a routed item's id: the request's, the processor connector's and the tenant's.
func RoutedID(requestID, connectorID, tenant string) string {
	return requestID + ":" + connectorID + ":" + tenant
}

// RoutedInstructionInput is a customer's instruction on a routed item: execute with Action (rectify
// with the customer's Corrections, data category → corrected value), decline with Reason, or handled.
type RoutedInstructionInput struct {
	Instruction string            `json:"instruction"`
	Action      Action            `json:"action,omitempty"`
	Corrections map[string]string `json:"corrections,omitempty"`
	Reason      string            `json:"reason,omitempty"`
}
