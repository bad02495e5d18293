package devserver_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/devserver"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
)

func echo(_ workflow.Context, s string) (string, error) { return s, nil }

// TestPostgresPersistence: the server keeps its state in PostgreSQL, lists workflows from its PostgreSQL
// visibility database, and a second start on the same databases finds what the first one wrote.
func TestPostgresPersistence(t *testing.T) {
	admin := storetest.PostgresURL(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	password, _ := u.User.Password()
	pg := &devserver.Postgres{Addr: u.Host, User: u.User.Username(), Password: password,
		Database: "temporal_" + suffix, VisibilityDatabase: "temporal_visibility_" + suffix}
	t.Cleanup(func() {
		db, err := sqlx.Open("postgres", admin)
		if err != nil {
			return
		}
		defer db.Close()
		for _, name := range []string{pg.Database, pg.VisibilityDatabase} {
			db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
			db.Exec(`DROP DATABASE IF EXISTS ` + name)
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	logFile := filepath.Join(t.TempDir(), "temporal.log")
	opts := devserver.Options{Postgres: pg, FrontendAddr: addr, Namespace: "default", LogFile: logFile}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("server log:\n%s", log)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	srv, err := devserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	w := worker.New(c, "echo", worker.Options{})
	w.RegisterWorkflow(echo)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "echo-1", TaskQueue: "echo"}, echo, "kept")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "kept" {
		t.Fatalf("workflow = %q, %v", got, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default"})
		if err == nil && len(resp.GetExecutions()) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("visibility lists %v, %v; want the one workflow", resp.GetExecutions(), err)
		}
	}
	w.Stop()
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	srv, err = devserver.Start(opts)
	if err != nil {
		t.Fatalf("second start on the same databases: %v", err)
	}
	defer srv.Stop()
	c, err = client.Dial(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got = ""
	if err := c.GetWorkflow(ctx, "echo-1", "").Get(ctx, &got); err != nil || got != "kept" {
		t.Fatalf("after a restart the workflow's result = %q, %v", got, err)
	}

	// The number of history shards is fixed at the first start: a process of the same cluster that gives
	// another number is refused with both numbers, where the server itself would take the stored one.
	other := opts
	other.FrontendAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	other.HistoryShards = 4
	other.Services = []string{"history"}
	if srv, err := devserver.Start(other); err == nil {
		srv.Stop()
		t.Fatal("a history process with 4 shards started on a cluster created with 1")
	} else if !strings.Contains(err.Error(), "4 given") || !strings.Contains(err.Error(), "created with 1") {
		t.Fatalf("error = %v; want it to name 4 and 1", err)
	}
}
