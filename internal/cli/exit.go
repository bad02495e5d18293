// Package cli holds what dsrflow's programs share on the command line and nothing heavier: exit
// statuses, the usage error, printing an error, the terminal-safe writer. starter links it, so it
// imports only the root package and internal/config (see ARCHITECTURE.md, "starter and dsrflow-admin").
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
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

// ConfigProblem is implemented by errors that mean the program was not set up to run (a listen
// address in use, a Temporal namespace not set up): they exit with ExitConfig. Packages too heavy for
// starter to link (internal/app) mark their errors this way.
type ConfigProblem interface {
	error
	ConfigProblem()
}

// ExitCode prints err (when not nil) and returns the process exit status for it.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "error:", err)
	var cfgErr *config.Error
	var usage UsageError
	var problem ConfigProblem
	switch {
	case errors.As(err, &cfgErr), errors.As(err, &usage), errors.As(err, &problem):
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

// NoArgs is cobra's Args for a command that takes none: a usage error naming the first argument.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageError{Err: errors.New(cmd.CommandPath() + ": unexpected argument " + fmt.Sprintf("%q", args[0]))}
	}
	return nil
}
