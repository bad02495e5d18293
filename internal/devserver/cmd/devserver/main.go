// Command devserver runs the embedded Temporal server (internal/devserver) as a process of its own, so
// that drills can run production workers and front doors against a server they do not host, and kill
// those processes without touching it. It is a test fixture, not a way to run Temporal in production.
//
// With -services, a process runs some of Temporal's four services; processes started on the same
// PostgreSQL databases with the same -addr (the frontend's, which the others dial) and -shards form one
// cluster, as the Cluster drill runs it:
//
//	devserver -postgres URL -addr 127.0.0.1:7233 -shards 4 -services frontend
//	devserver -postgres URL -addr 127.0.0.1:7233 -shards 4 -services history -grpc-port 7234 -membership-port 6934
//	devserver -postgres URL -addr 127.0.0.1:7233 -shards 4 -services matching
//	devserver -postgres URL -addr 127.0.0.1:7233 -shards 4 -services worker
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/dsrflow/dsrflow/internal/devserver"
)

func main() {
	db := flag.String("db", "", "SQLite file holding the server's state (created on first start)")
	pg := flag.String("postgres", "", "PostgreSQL server (postgres://USER[:PASSWORD]@HOST:PORT/) holding the server's state in the databases temporal and temporal_visibility (created on first start), instead of -db")
	addr := flag.String("addr", "127.0.0.1:7233", "frontend host:port")
	namespace := flag.String("namespace", "default", "namespace registered on first start")
	logFile := flag.String("log", "", "file for the server's own log (warn and above)")
	services := flag.String("services", "", "comma-separated Temporal services this process runs, of frontend, history, matching, worker (default all four); a subset needs -postgres")
	shards := flag.Int("shards", 1, "number of history shards, fixed when the databases are created: every process of the cluster gives the same")
	grpcPort := flag.Int("grpc-port", 0, "gRPC port of the one service this process runs, other than the frontend (whose port is -addr's); 0 picks a free one")
	membershipPort := flag.Int("membership-port", 0, "membership (gossip) port of the one service this process runs, below 32768; 0 picks a free one")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(2, "unexpected arguments: "+strings.Join(flag.Args(), " "))
	}
	if *shards < 1 {
		fail(2, "-shards must be 1 or more")
	}
	opts := devserver.Options{DatabaseFile: *db, FrontendAddr: *addr, Namespace: *namespace, LogFile: *logFile,
		HistoryShards: *shards, GRPCPort: *grpcPort, MembershipPort: *membershipPort}
	if *services != "" {
		opts.Services = strings.Split(*services, ",")
	}
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
	if opts.Services == nil {
		fmt.Println("temporal", srv.Addr())
	} else {
		// One line per service: the drill reads the ports to restart a killed process on them.
		names := make([]string, 0, len(srv.Ports))
		for name := range srv.Ports {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Printf("temporal %s grpc-port=%d membership-port=%d frontend=%s\n", name, srv.Ports[name][0], srv.Ports[name][1], srv.Addr())
		}
	}
	<-ctx.Done()
	if err := srv.Stop(); err != nil {
		fail(1, "stop: "+err.Error())
	}
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, "devserver:", msg)
	os.Exit(code)
}
