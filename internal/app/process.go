package app

import (
	"io"
	"log/slog"

	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/logsafe"
)

// UsageError is a bad command line (cli.UsageError: starter, which does not link this package, makes them too).
type UsageError = cli.UsageError

// Exit statuses of dsrflow's programs (internal/cli's).
const (
	ExitOK      = cli.ExitOK
	ExitFailure = cli.ExitFailure
	ExitConfig  = cli.ExitConfig
	ExitInvalid = cli.ExitInvalid
	ExitDenied  = cli.ExitDenied
	ExitMissing = cli.ExitMissing
	ExitGone    = cli.ExitGone
)

// ExitCode prints err (when not nil) and returns the process exit status for it: cli.ExitCode, which
// knows *AddrError and *NotSetUpError as configuration problems by their ConfigProblem method.
func ExitCode(err error, stderr io.Writer) int { return cli.ExitCode(err, stderr) }

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
