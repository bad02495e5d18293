// Command dsrflow-admin runs dsrflow's server and operator commands: `serve` (the front door),
// `migrate`, `audit verify`, `token`, `session`, `connector`, `retention`, `temporal`, `reconcile` and
// `demo effects`. It links the store, the Temporal SDK and the web server; starter, the API CLI, does not,
// and hands these commands over to this program (`starter serve` runs `dsrflow-admin serve`).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/dsrflow/dsrflow/internal/admincmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := admincmd.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
