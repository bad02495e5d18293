package app

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/devserver"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestFrontDoorReadyWithoutWorkers: while no worker polls (every worker restarting in a rolling deploy),
// a front door stays ready, so the load balancer keeps sending it requests; the body still says that no
// worker polls. A failing store does take it out.
func TestFrontDoorReadyWithoutWorkers(t *testing.T) {
	dir := t.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	srv, err := devserver.Start(devserver.Options{DatabaseFile: filepath.Join(dir, "temporal.db"), FrontendAddr: addr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "dsr.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	door := httptest.NewServer(web.NewServer(web.Deps{Readiness: FrontDoorReadiness(c, st)}))
	defer door.Close()

	status, body := readyz(t, door.URL)
	if status != http.StatusOK || body["temporal"] != "ok" || body["store"] != "ok" || !strings.HasPrefix(body["workers"], "informational: no worker has polled") {
		t.Fatalf("readyz with no worker polling = %d %v, want 200 with temporal and store ok and workers informational", status, body)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if status, body := readyz(t, door.URL); status != http.StatusServiceUnavailable || body["store"] == "ok" {
		t.Fatalf("readyz with the store closed = %d %v, want 503 naming the store", status, body)
	}
}

func readyz(t *testing.T, url string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}
