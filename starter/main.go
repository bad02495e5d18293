// Command starter is the support agents' and operators' CLI: `starter serve` runs the front door,
// `starter migrate` applies the store's migrations, `starter audit verify` checks the audit chain.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/dsrflow/dsrflow/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err, when there is one, without control characters (its message may be the front
// door's, quoting others' text) and returns the exit status.
func exitCode(err error, stderr io.Writer) int {
	return app.ExitCode(err, newTerminalWriter(stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := newRootCmd(getenv)
	cmd.SetArgs(args)
	// Everything printed may hold text from others (reasons, names, details): no control characters.
	cmd.SetOut(newTerminalWriter(stdout))
	cmd.SetErr(newTerminalWriter(stderr))
	return cmd.ExecuteContext(ctx)
}
