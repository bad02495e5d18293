package act

import (
	"time"

	"github.com/dsrflow/dsrflow"
)

// LocateInput asks the processor connectors matching the subject which customer tenants hold data
// about it (Routing.Locate).
type LocateInput struct {
	RequestID string
	Identity  dsrflow.Identity
	Verified  []string
	Due       time.Time
}

// Located is one customer tenant a processor found the subject in.
type Located struct {
	Connector string
	Tenant    string
	Customer  string
}

// OpenRoutedInput asks for a routed item to be recorded and its customer told (Routing.Open).
type OpenRoutedInput struct {
	RequestID string
	Type      dsrflow.RequestType
	Located
	// Country counts the DPA's business days (the request's country: its public holidays).
	Country string
	Now     time.Time
}

// RoutedRef is a routed item as the workflows keep it: its id, due date and whom the subject's answer
// names as the controller. LegalName and Contact are the customer's, not the subject's.
type RoutedRef struct {
	ID        string
	RequestID string
	Type      dsrflow.RequestType
	Located
	LegalName string
	Contact   string
	// RemindAt is when the customer is reminded; DueAt is the DPA's assistance deadline, when an
	// unanswered item is escalated.
	RemindAt time.Time
	DueAt    time.Time
	// Country is the request's (OpenRoutedInput.Country): the customer mails give DueAt's date in its
	// time zone, as the business days were counted. Empty in items opened before it was kept: UTC.
	Country string `json:",omitempty"`
	// Callback says the customer has a callback_url: the Routed workflow posts it each event besides
	// the mail (Routing.CallbackRouted).
	Callback bool `json:",omitempty"`
}

// RecordRoutedInput records a change of a routed item and tells the customer what it means
// (Routing.Record): a reminder (State notified), an escalation, or an instruction received.
type RecordRoutedInput struct {
	Ref         RoutedRef
	State       dsrflow.RoutedState
	Reminder    bool   `json:",omitempty"`
	Instruction string `json:",omitempty"`
	Action      dsrflow.Action
	Reason      string `json:",omitempty"`
	Actor       string
	At          time.Time
}

// ExecuteRoutedInput runs the customer's instructed action on its tenant only, through the processor
// connector, then records the item executed and confirms to the customer (Routing.Execute).
type ExecuteRoutedInput struct {
	Ref    RoutedRef
	Action dsrflow.Action
	// Corrections are a rectify's corrected values, as the customer gave them.
	Corrections map[string]string `json:",omitempty"`
	Identity    dsrflow.Identity
	Verified    []string
	At          time.Time
}

// ExecuteRoutedResult is what came of an executed instruction: the processor's status and counts.
type ExecuteRoutedResult struct {
	Status string
	Counts map[string]int `json:",omitempty"`
}

// CallbackRoutedInput posts a routed item's event to its customer's callback_url (Routing.CallbackRouted):
// Event is one of connectors' RoutedEvent names; Action and Status those of an execution.
type CallbackRoutedInput struct {
	Ref    RoutedRef
	Event  string
	State  dsrflow.RoutedState
	Action dsrflow.Action `json:",omitempty"`
	Status string         `json:",omitempty"`
	At     time.Time
}

// CallbackAttempts is how many times the Routed workflow posts an event to a customer's callback_url
// (its retry policy's MaximumAttempts): on the last, a failure is audited and the mail stands alone.
const CallbackAttempts = 12
