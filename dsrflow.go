// Package dsrflow holds the domain vocabulary of dsrflow: request types and statuses, jurisdictions and
// the one error type every layer returns. It depends on the standard library only.
package dsrflow

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Error codes. Each maps once to an HTTP status (internal/web) and a CLI exit code (starter).
const (
	EINVALID      = "invalid"      // bad input; nothing was changed
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the change clashes with the current state
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, role not allowed
	EUNAVAILABLE  = "unavailable"  // a dependency (Temporal, the store) cannot be reached
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EGONE         = "gone"         // it existed, and was destroyed on purpose (record retention)
)

// Error is an error whose message is safe to show a user: it never carries personal data.
type Error struct {
	Code    string
	Message string
	// Fields holds one message per invalid input field, for EINVALID.
	Fields map[string]string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Message
}

// Errorf returns an *Error with the code and a formatted message. The message must hold no personal data.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other error and ""
// for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of the first *Error in err's chain, and a generic text for
// any other error (whose text may hold details not meant for users).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}

// RequestType is the right a data subject exercises (privacy policy, "Your rights" and "Marketing and
// profiling").
type RequestType string

// Request types.
const (
	Access            RequestType = "access"             // GDPR Art. 15
	Portability       RequestType = "portability"        // Art. 20
	Rectification     RequestType = "rectification"      // Art. 16
	Erasure           RequestType = "erasure"            // Art. 17
	Restriction       RequestType = "restriction"        // Art. 18
	Objection         RequestType = "objection"          // Art. 21(1)
	MarketingOptout   RequestType = "marketing_optout"   // Art. 21(2)-(3)
	ConsentWithdrawal RequestType = "consent_withdrawal" // Art. 7(3)
	// DoNotSell is the California consumer's right to opt out of the sale and sharing of their personal
	// information (Cal. Civ. Code 1798.120); it exists under the CCPA only.
	DoNotSell RequestType = "do_not_sell"
)

// Action is what a connector is asked to do for one request.
type Action string

// Connector actions.
const (
	ActionAccess   Action = "access"
	ActionErase    Action = "erase"
	ActionRectify  Action = "rectify"
	ActionRestrict Action = "restrict"
	// ActionUnrestrict lifts a restriction of processing (GDPR Art. 18(3)): the subject was told first.
	ActionUnrestrict      Action = "unrestrict"
	ActionObject          Action = "object"
	ActionOptout          Action = "optout"
	ActionWithdrawConsent Action = "withdraw_consent"
	// ActionOptoutSale stops selling and sharing the subject's personal information (CCPA do_not_sell).
	ActionOptoutSale Action = "optout_sale"
	// ActionNotify tells a partner who received data about a rectification, erasure or restriction
	// (GDPR Art. 19).
	ActionNotify Action = "notify"
	// ActionPurge deletes data past its retention period (retention sweeps).
	ActionPurge Action = "purge"
	// ActionPurgeKept deletes data an erasure kept on a legal basis once its period has ended: exactly the
	// records the job names (retention sweeps).
	ActionPurgeKept Action = "purge_kept"
	// ActionLocate asks a processor system (a connector of role processor) which customer tenants hold
	// data about the identities: tenant and customer ids only, never records. The customer, as
	// controller, decides what happens to that data (GDPR Art. 28(3)(e)).
	ActionLocate Action = "locate"
)

// Status is where a request is in its lifecycle:
// received → verifying → [in_review] → fulfilling → [awaiting_tasks] → responding → completed,
// or rejected, lapsed (never verified), canceled, aborted (its workflow ended outside dsrflow before
// carrying it out: terminated, timed out or failed in Temporal; closed by the reconciler).
type Status string

// Request statuses.
const (
	StatusReceived      Status = "received"
	StatusVerifying     Status = "verifying"
	StatusInReview      Status = "in_review"
	StatusFulfilling    Status = "fulfilling"
	StatusAwaitingTasks Status = "awaiting_tasks"
	StatusResponding    Status = "responding"
	StatusCompleted     Status = "completed"
	StatusRejected      Status = "rejected"
	StatusLapsed        Status = "lapsed"
	StatusCanceled      Status = "canceled"
	StatusAborted       Status = "aborted"
)

// Statuses are every status in lifecycle order, the order lists and counts show them in.
var Statuses = []Status{StatusReceived, StatusVerifying, StatusInReview, StatusFulfilling, StatusAwaitingTasks,
	StatusResponding, StatusCompleted, StatusRejected, StatusLapsed, StatusCanceled, StatusAborted}

// Closed reports whether the request has ended.
func (s Status) Closed() bool {
	switch s {
	case StatusCompleted, StatusRejected, StatusLapsed, StatusCanceled, StatusAborted:
		return true
	}
	return false
}

// Verification is how the subject's identity is confirmed, in proportion to the request.
type Verification string

// Verification methods.
const (
	VerifyEmailCode     Verification = "email_code"
	VerifyAgentAttested Verification = "agent_attested"
	VerifyNone          Verification = "none"
	// VerifyEID: the subject identified with an electronic ID (BankID, MitID, the Finnish Trust Network)
	// through the controller's OpenID Connect broker (internal/eid).
	VerifyEID Verification = "eid"
)

// Sensitive lists the request types the controller marks sensitive (controller.yaml, verification:
// sensitive): an emailed code is too weak for them, so they take an eID verification or an agent's
// attestation.
type Sensitive []RequestType

// Has reports whether t is among the sensitive types.
func (s Sensitive) Has(t RequestType) bool { return slices.Contains(s, t) }

// Identity is what identifies the data subject to the connectors. It is personal data: it never goes
// into logs, workflow ids, search attributes or error messages.
type Identity struct {
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	// CustomerIDs maps a system's name to the subject's id in it.
	CustomerIDs map[string]string `json:"customer_ids,omitempty"`
	// NationalID is the keyed hash of the national identity number an eID verification confirmed
	// (secret.Key.NationalIDHash), never the number itself.
	NationalID string `json:"national_id,omitempty"`
	// Birthdate is the birth date an eID verification confirmed, YYYY-MM-DD.
	Birthdate string `json:"birthdate,omitempty"`
}

// Identity types a connector may match on. A customer id is "customer_id:SYSTEM".
const (
	IdentityEmail      = "email"
	IdentityName       = "name"
	IdentityPhone      = "phone"
	IdentityCustomerID = "customer_id"
	// IdentityNationalID's value is a keyed hash of the national identity number (README, "eID
	// verification"), IdentityBirthdate's a date, YYYY-MM-DD; both come from an eID verification only.
	IdentityNationalID = "national_id"
	IdentityBirthdate  = "birthdate"
)

// Types lists the identity types present, customer ids as "customer_id:SYSTEM", sorted.
func (id Identity) Types() []string {
	var out []string
	if id.Email != "" {
		out = append(out, IdentityEmail)
	}
	if id.Name != "" {
		out = append(out, IdentityName)
	}
	if id.Phone != "" {
		out = append(out, IdentityPhone)
	}
	if id.NationalID != "" {
		out = append(out, IdentityNationalID)
	}
	if id.Birthdate != "" {
		out = append(out, IdentityBirthdate)
	}
	for system := range id.CustomerIDs {
		out = append(out, IdentityCustomerID+":"+system)
	}
	slices.Sort(out)
	return out
}

// CodePolicy holds every number of email-code verification, so they live in one place.
var CodePolicy = struct {
	// TTL is how long a code is valid.
	TTL time.Duration
	// Attempts is how many wrong codes kill a code until a resend.
	Attempts int
	// Resends is how many new codes the subject may ask for.
	Resends int
	// Reminders are sent this long after the request was received, while it is unverified.
	Reminders []time.Duration
	// LapseAfter ends an unverified request as lapsed.
	LapseAfter time.Duration
}{
	TTL:        30 * time.Minute,
	Attempts:   5,
	Resends:    3,
	Reminders:  []time.Duration{3 * 24 * time.Hour, 7 * 24 * time.Hour},
	LapseAfter: 14 * 24 * time.Hour,
}

// DeadlinePolicy holds the numbers of deadline tracking.
var DeadlinePolicy = struct {
	// RemindBefore lists reminders sent this long before the due date.
	RemindBefore []time.Duration
	// OverdueEvery repeats the overdue escalation after the due date.
	OverdueEvery time.Duration
	// JobMargin is how long before the due date connector jobs stop retrying and escalate, leaving
	// time for a person to act.
	JobMargin time.Duration
	// MinJobWindow is the least time a job gets to retry, for requests received close to their due date.
	MinJobWindow time.Duration
	// PollEvery is how often an accepted (202) job is polled when no callback has come; the first poll
	// comes after FirstPoll, and the wait doubles up to PollEvery.
	PollEvery, FirstPoll time.Duration
	// ExportValidFor is how long the subject's download link works.
	ExportValidFor time.Duration
}{
	RemindBefore:   []time.Duration{7 * 24 * time.Hour, 2 * 24 * time.Hour},
	OverdueEvery:   24 * time.Hour,
	JobMargin:      3 * 24 * time.Hour,
	MinJobWindow:   24 * time.Hour,
	PollEvery:      10 * time.Minute,
	FirstPoll:      time.Minute,
	ExportValidFor: 7 * 24 * time.Hour,
}
