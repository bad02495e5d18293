package web

import (
	"errors"
	"net/http"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/temporalx"
)

// httpStatus maps dsrflow's error codes to HTTP statuses, once.
var httpStatus = map[string]int{
	dsrflow.EINVALID:      http.StatusBadRequest,
	dsrflow.ENOTFOUND:     http.StatusNotFound,
	dsrflow.ECONFLICT:     http.StatusConflict,
	dsrflow.EUNAUTHORIZED: http.StatusUnauthorized,
	dsrflow.EFORBIDDEN:    http.StatusForbidden,
	dsrflow.EUNAVAILABLE:  http.StatusServiceUnavailable,
	dsrflow.EINTERNAL:     http.StatusInternalServerError,
	dsrflow.EGONE:         http.StatusGone,
}

// errorBody is every error answer: a message safe to show and, for invalid input, one per field.
type errorBody struct {
	Error  string            `json:"error"`
	Code   string            `json:"code"`
	Fields map[string]string `json:"fields,omitempty"`
}

// userError turns errors from Temporal (a workflow's refusal, a missing workflow) into dsrflow errors;
// the service translates its own, this catches what reaches a handler otherwise (callbacks).
func userError(err error) error { return temporalx.UserError(err, "request not found") }

func writeError(w http.ResponseWriter, err error) {
	err = userError(err)
	code := dsrflow.ErrorCode(err)
	body := errorBody{Error: dsrflow.ErrorMessage(err), Code: code}
	var e *dsrflow.Error
	if errors.As(err, &e) {
		body.Fields = e.Fields
	}
	writeJSON(w, httpStatus[code], body)
}
