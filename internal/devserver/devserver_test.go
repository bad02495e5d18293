package devserver_test

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/devserver"
)

// TestStartRefusesBadClusterOptions: options that cannot make a cluster are refused before anything
// starts, with an error naming what is wrong.
func TestStartRefusesBadClusterOptions(t *testing.T) {
	pg := &devserver.Postgres{Addr: "127.0.0.1:1", User: "nobody", Database: "temporal", VisibilityDatabase: "temporal_visibility"}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		opts devserver.Options
		want string
	}{
		{"unknown service", devserver.Options{Postgres: pg, Services: []string{"histroy"}}, `"histroy": must be one of frontend, history, matching, worker`},
		{"service twice", devserver.Options{Postgres: pg, Services: []string{"history", "history"}}, `"history": given twice`},
		{"subset on SQLite", devserver.Options{DatabaseFile: dir + "/t.db", Services: []string{"history"}}, "need PostgreSQL"},
		{"ports for two services", devserver.Options{Postgres: pg, Services: []string{"history", "matching"}, MembershipPort: 20000}, "one service, not history,matching"},
		{"frontend gRPC port", devserver.Options{Postgres: pg, Services: []string{"frontend"}, GRPCPort: 20000, FrontendAddr: "127.0.0.1:7233"}, "the frontend's gRPC port is its address's"},
		{"membership port too high", devserver.Options{Postgres: pg, Services: []string{"history"}, MembershipPort: 40000}, "membership port 40000: must be from 1 to 32767"},
		{"negative shards", devserver.Options{Postgres: pg, HistoryShards: -1}, "history shards -1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Namespace = "default"
			if c.opts.FrontendAddr == "" {
				c.opts.FrontendAddr = "127.0.0.1:7233"
			}
			srv, err := devserver.Start(c.opts)
			if err == nil {
				srv.Stop()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v; want it to contain %q", err, c.want)
			}
		})
	}
}
