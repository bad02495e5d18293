package app

import (
	"io"
	"testing"

	"github.com/dsrflow/dsrflow"
)

// TestExitCodes: each error code has its exit status; gone (shredded under the record-retention
// policy) is told apart from not found.
func TestExitCodes(t *testing.T) {
	for code, want := range map[string]int{
		"":                    ExitOK,
		dsrflow.EINVALID:      ExitInvalid,
		dsrflow.ECONFLICT:     ExitInvalid,
		dsrflow.EUNAUTHORIZED: ExitDenied,
		dsrflow.EFORBIDDEN:    ExitDenied,
		dsrflow.ENOTFOUND:     ExitMissing,
		dsrflow.EGONE:         ExitGone,
		dsrflow.EINTERNAL:     ExitFailure,
	} {
		var err error
		if code != "" {
			err = dsrflow.Errorf(code, "x")
		}
		if got := ExitCode(err, io.Discard); got != want {
			t.Errorf("ExitCode(%q) = %d, want %d", code, got, want)
		}
	}
}
