// Command devserver runs the embedded Temporal server (internal/devserver) as a process of its own, so
// that drills can run production workers and front doors against a server they do not host, and kill
// those processes without touching it. It is a test fixture, not a way to run Temporal in production.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/dsrflow/dsrflow/internal/devserver"
)

func main() {
	db := flag.String("db", "", "SQLite file holding the server's state (created on first start)")
	pg := flag.String("postgres", "", "PostgreSQL server (postgres://USER[:PASSWORD]@HOST:PORT/) holding the server's state in the databases temporal and temporal_visibility (created on first start), instead of -db")
	addr := flag.String("addr", "127.0.0.1:7233", "frontend host:port")
	namespace := flag.String("namespace", "default", "namespace registered on first start")
	logFile := flag.String("log", "", "file for the server's own log (warn and above)")
	flag.Parse()
	opts := devserver.Options{DatabaseFile: *db, FrontendAddr: *addr, Namespace: *namespace, LogFile: *logFile}
	switch {
	case *pg != "" && *db != "":
		fail(2, "-db and -postgres are exclusive")
	case *pg != "":
		u, err := url.Parse(*pg)
		if err != nil || u.Scheme != "postgres" || u.Host == "" || u.User == nil {
			fail(2, "-postgres must be postgres://USER[:PASSWORD]@HOST:PORT/")
		}
		password, _ := u.User.Password()
		opts.Postgres = &devserver.Postgres{Addr: u.Host, User: u.User.Username(), Password: password,
			Database: "temporal", VisibilityDatabase: "temporal_visibility"}
	case *db == "":
		fail(2, "-db or -postgres is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := devserver.Start(opts)
	if err != nil {
		fail(1, err.Error())
	}
	fmt.Println("temporal", srv.Addr())
	<-ctx.Done()
	if err := srv.Stop(); err != nil {
		fail(1, "stop: "+err.Error())
	}
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, "devserver:", msg)
	os.Exit(code)
}
