// Package dsrflow holds the domain vocabulary of dsrflow: request types and statuses, jurisdictions and
// the one error type every layer returns. It depends on the standard library only.
package dsrflow

import (
	"errors"
	"fmt"
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
