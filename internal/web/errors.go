package web

import (
	"errors"
	"net/http"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
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

// userError turns errors from Temporal (a workflow's refusal, a missing workflow) into dsrflow errors.
func userError(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if _, known := httpStatus[appErr.Type()]; known {
			return &dsrflow.Error{Code: appErr.Type(), Message: appErr.Message()}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "request not found")
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return dsrflow.Errorf(dsrflow.EUNAVAILABLE, "temporal is unavailable")
	}
	return err
}

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
