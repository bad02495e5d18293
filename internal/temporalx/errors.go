package temporalx

import (
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
)

// knownCodes are the dsrflow error codes a workflow's refusal may carry as its application error type.
var knownCodes = map[string]bool{
	dsrflow.EINVALID: true, dsrflow.ENOTFOUND: true, dsrflow.ECONFLICT: true, dsrflow.EUNAUTHORIZED: true,
	dsrflow.EFORBIDDEN: true, dsrflow.EUNAVAILABLE: true, dsrflow.EINTERNAL: true, dsrflow.EGONE: true,
}

// UserError turns an error from Temporal into a dsrflow error: a workflow's refusal (an application
// error whose type is a dsrflow code) keeps its code and message; a missing workflow is ENOTFOUND with
// notFound as its message; an unreachable cluster is EUNAVAILABLE. Any other error is returned as it is.
// The front door (internal/service) and the review dispatcher (internal/review) both translate through it.
func UserError(err error, notFound string) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && knownCodes[appErr.Type()] {
		return &dsrflow.Error{Code: appErr.Type(), Message: appErr.Message()}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "%s", notFound)
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return dsrflow.Errorf(dsrflow.EUNAVAILABLE, "temporal is unavailable")
	}
	return err
}
