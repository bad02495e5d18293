package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/logsafe"
)

// UsageError is a bad command line.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Exit statuses of dsrflow's programs.
const (
	ExitOK      = 0
	ExitFailure = 1 // something went wrong while running
	ExitConfig  = 2 // bad configuration or usage: nothing was started
	ExitInvalid = 3 // the request was refused as invalid or conflicting
	ExitDenied  = 4 // authentication or authorisation failed
	ExitMissing = 5 // the thing named does not exist
	ExitGone    = 6 // the thing named was destroyed under the record-retention policy
)

// ExitCode prints err (when not nil) and returns the process exit status for it.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "error:", err)
	var cfgErr *config.Error
	var addrErr *AddrError
	var usage UsageError
	var notSetUp *NotSetUpError
	switch {
	case errors.As(err, &cfgErr), errors.As(err, &addrErr), errors.As(err, &usage), errors.As(err, &notSetUp):
		return ExitConfig
	}
	switch dsrflow.ErrorCode(err) {
	case dsrflow.EINVALID, dsrflow.ECONFLICT:
		return ExitInvalid
	case dsrflow.EUNAUTHORIZED, dsrflow.EFORBIDDEN:
		return ExitDenied
	case dsrflow.ENOTFOUND:
		return ExitMissing
	case dsrflow.EGONE:
		return ExitGone
	}
	return ExitFailure
}

// NewLogger returns the process logger: JSON for production, text for the dev stack. Every line goes
// through logsafe, which masks personal data that a caller logs by mistake.
func NewLogger(w io.Writer, level slog.Level, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if json {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(logsafe.New(h))
}
