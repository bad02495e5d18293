// Command devserver runs the embedded Temporal server (internal/devserver) as a process of its own, so
// that drills can run production workers and front doors against a server they do not host, and kill
// those processes without touching it. It is a test fixture, not a way to run Temporal in production.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/dsrflow/dsrflow/internal/devserver"
)

func main() {
	db := flag.String("db", "", "SQLite file holding the server's state (created on first start)")
	addr := flag.String("addr", "127.0.0.1:7233", "frontend host:port")
	namespace := flag.String("namespace", "default", "namespace registered on first start")
	logFile := flag.String("log", "", "file for the server's own log (warn and above)")
	flag.Parse()
	if *db == "" {
		fmt.Fprintln(os.Stderr, "devserver: -db is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := devserver.Start(devserver.Options{DatabaseFile: *db, FrontendAddr: *addr, Namespace: *namespace, LogFile: *logFile})
	if err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
	fmt.Println("temporal", srv.Addr())
	<-ctx.Done()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "devserver: stop:", err)
		os.Exit(1)
	}
}
