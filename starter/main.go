// Command starter is the support agents' and operators' CLI for the front door's API (request, show,
// list, approve, outbox, export, ...). The server and operator commands (`serve`, `migrate`,
// `audit verify`, `token`, ...) belong to the dsrflow-admin program: starter hands them over to it, so
// that starter links the HTTP client only and starts at once (see handover.go).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/dsrflow/dsrflow/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, execAdmin(os.Getenv))
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err, when there is one, without control characters (its message may be the front
// door's, quoting others' text) and returns the exit status.
func exitCode(err error, stderr io.Writer) int {
	return cli.ExitCode(err, cli.NewTerminalWriter(stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, admin handOver) error {
	cmd := newRootCmd(getenv, admin)
	cmd.SetArgs(args)
	// Everything printed may hold text from others (reasons, names, details): no control characters.
	cmd.SetOut(cli.NewTerminalWriter(stdout))
	cmd.SetErr(cli.NewTerminalWriter(stderr))
	return cmd.ExecuteContext(ctx)
}
