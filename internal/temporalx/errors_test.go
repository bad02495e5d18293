package temporalx

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow"
)

// A workflow's refusal keeps its code and message; Temporal's own errors become codes a user can act
// on; anything else is left as it is (and shown as an internal error).
func TestUserError(t *testing.T) {
	other := errors.New("boom")
	for _, tc := range []struct {
		in         error
		code, text string
	}{
		{temporal.NewApplicationError("request is completed", dsrflow.ECONFLICT), dsrflow.ECONFLICT, "request is completed"},
		{fmt.Errorf("update: %w", temporal.NewApplicationError("no such job", dsrflow.EINVALID)), dsrflow.EINVALID, "no such job"},
		{temporal.NewApplicationError("role agent may not decide", dsrflow.EFORBIDDEN), dsrflow.EFORBIDDEN, "role agent may not decide"},
		{temporal.NewApplicationError("panic in activity", "SomeGoError"), dsrflow.EINTERNAL, "internal error"},
		{serviceerror.NewNotFound("workflow not found for ID: dsr_1"), dsrflow.ENOTFOUND, "request not found"},
		{serviceerror.NewUnavailable("connection refused"), dsrflow.EUNAVAILABLE, "temporal is unavailable"},
		{other, dsrflow.EINTERNAL, "internal error"},
	} {
		err := UserError(tc.in, "request not found")
		if dsrflow.ErrorCode(err) != tc.code || dsrflow.ErrorMessage(err) != tc.text {
			t.Errorf("%v: %v (%s), want %s %q", tc.in, err, dsrflow.ErrorCode(err), tc.code, tc.text)
		}
	}
	if UserError(other, "x") != other {
		t.Error("an unknown error was wrapped")
	}
	if UserError(nil, "x") != nil {
		t.Error("nil became an error")
	}
}
