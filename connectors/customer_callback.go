package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Events of a routed item that a customer with a callback_url is told of (PROTOCOL.md, "Customer
// callbacks"): the same moments as its mails.
const (
	RoutedEventOpened    = "routed.opened"    // the subject was found in the customer's tenant: instruct us
	RoutedEventReminder  = "routed.reminder"  // the DPA deadline is near and no instruction came
	RoutedEventEscalated = "routed.escalated" // the DPA deadline passed; it can still be instructed
	RoutedEventRecorded  = "routed.recorded"  // a decline or handled instruction was recorded
	RoutedEventExecuted  = "routed.executed"  // the instructed action ran in the tenant
)

// RoutedNotice is what dsrflow posts to a customer's callback_url about a routed item, signed with the
// customer's secret as protocol v1 signs jobs (Sign). It holds the facts of the customer's mail: ids,
// the request's type, states and dates, never the subject's identities or records; the customer looks
// the person up by instructing access, or answers by POST /api/v1/routed/{id}/instruction.
type RoutedNotice struct {
	Protocol    string              `json:"protocol"`
	Event       string              `json:"event"`
	RoutedID    string              `json:"routed_id"`
	RequestType dsrflow.RequestType `json:"request_type"`
	Customer    string              `json:"customer"`
	Tenant      string              `json:"tenant"`
	Connector   string              `json:"connector"`
	State       dsrflow.RoutedState `json:"state"`
	// Action is, on routed.opened, the action the subject's request asks for; on routed.executed, the one
	// run; Status the processor's result of it.
	Action dsrflow.Action `json:"action,omitempty"`
	Status Status         `json:"status,omitempty"`
	// Instructions are what the customer may answer while the item is open (execute, decline, handled).
	Instructions []string  `json:"instructions,omitempty"`
	DueAt        time.Time `json:"due_at"`
	At           time.Time `json:"at"`
}

// PostRoutedNotice posts the notice, signed with secret, to url (hc nil: follow no redirects). A 2xx answer is delivery. The error is
// a *CallError: Permanent for a 3xx or a 4xx other than 408 and 429 (asking again will not help), else
// retryable. The header Idempotency-Key (event and routed id) lets the customer drop a repeat.
func PostRoutedNotice(ctx context.Context, hc *http.Client, url string, secret []byte, n RoutedNotice, now time.Time) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &CallError{Connector: "customer " + n.Customer, Permanent: true, Message: "callback_url: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.Event+":"+n.RoutedID)
	SignRequest(req, secret, body, now)
	if hc == nil {
		hc = noRedirects // a redirected POST would lose its body and signature
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &CallError{Connector: "customer " + n.Customer, Message: "callback: " + err.Error(), err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 300 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return &CallError{Connector: "customer " + n.Customer, StatusCode: code, Permanent: true, Message: fmt.Sprintf("callback answered %d", code)}
	default:
		return &CallError{Connector: "customer " + n.Customer, StatusCode: code, Message: fmt.Sprintf("callback answered %d", code)}
	}
}
