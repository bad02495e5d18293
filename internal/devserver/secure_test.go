package devserver_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/devserver"
	"github.com/dsrflow/dsrflow/internal/devserver/certtest"
	"github.com/dsrflow/dsrflow/internal/temporalx"
)

// startSecured starts the embedded server with the given TLS and API key on a free port; it returns the
// frontend's address and the server's log file.
func startSecured(t *testing.T, tlsOpts *devserver.TLS, apiKey string) (addr, logFile string) {
	t.Helper()
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	dir := t.TempDir()
	logFile = filepath.Join(dir, "temporal.log")
	srv, err := devserver.Start(devserver.Options{DatabaseFile: filepath.Join(dir, "temporal.db"), FrontendAddr: addr,
		Namespace: "default", LogFile: logFile, TLS: tlsOpts, APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Stop()
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("server log:\n%s", log)
		}
	})
	return addr, logFile
}

// workerTemporal reads the Temporal settings from env as the production worker reads them (with the
// worker's other required settings filled in).
func workerTemporal(t *testing.T, env map[string]string) config.Temporal {
	t.Helper()
	conns := filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(conns, []byte("connectors: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"DATABASE_URL": "postgres://127.0.0.1:5432/x", "DSR_WORKER_ADDR": "off",
		"DSR_HMAC_KEY": strings.Repeat("ab", 32), "DSR_CONNECTORS": conns, "DSR_PUBLIC_URL": "https://dsr.example.com",
		"DSR_SMTP_URL": "smtp://mail:1025?from=privacy@example.com&starttls=off", "DSR_MASTER_KEYS": "k1:" + strings.Repeat("A", 43) + "="}
	for k, v := range env {
		all[k] = v
	}
	w, err := config.LoadWorker(func(k string) string { return all[k] })
	if err != nil {
		t.Fatal(err)
	}
	return w.Temporal
}

// dial dials as the worker does, with a short deadline: a refusal comes at once.
func dial(t *testing.T, cfg config.Temporal) (client.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return temporalx.Dial(ctx, cfg, slog.New(slog.DiscardHandler))
}

// runEcho runs a worker on c and one workflow through it to its result.
func runEcho(t *testing.T, c client.Client) {
	t.Helper()
	w := worker.New(c, "echo", worker.Options{})
	w.RegisterWorkflow(echo)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "echo"}, echo, "through TLS")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "through TLS" {
		t.Fatalf("workflow = %q, %v", got, err)
	}
}

// TestMTLSOnTheRealFrontend: the embedded server's frontend requires a client certificate signed by its
// CA. The worker's dial path (TEMPORAL_TLS_CERT, _KEY, _CA, _SERVER_NAME, read as the worker reads them)
// reaches it and a worker polling through TLS completes a workflow; a client without a certificate, or
// with one from another CA, or one that does not trust the server's CA, is refused at the dial, naming
// the address and the TLS failure.
func TestMTLSOnTheRealFrontend(t *testing.T) {
	ca := certtest.NewCA(t, "temporal-ca")
	serverCert, serverKey := ca.Server("temporal", "temporal-frontend.temporal.svc")
	clientCert, clientKey := ca.Client("dsrflow")
	otherCert, otherKey := certtest.NewCA(t, "other-ca").Client("dsrflow")
	addr, _ := startSecured(t, &devserver.TLS{CertFile: serverCert, KeyFile: serverKey, ClientCAFile: ca.File}, "")

	cfg := workerTemporal(t, map[string]string{"TEMPORAL_ADDRESS": addr, "TEMPORAL_TLS_CERT": clientCert,
		"TEMPORAL_TLS_KEY": clientKey, "TEMPORAL_TLS_CA": ca.File, "TEMPORAL_TLS_SERVER_NAME": "temporal-frontend.temporal.svc"})
	c, err := dial(t, cfg)
	if err != nil {
		t.Fatalf("dial with the client certificate: %v", err)
	}
	defer c.Close()
	runEcho(t, c)

	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		// The server's refusal reaches the client as its alert or, when the server closed first, as a
		// broken pipe; either way the error names the setting to look at (temporalx tlsRefusal).
		{"no client certificate", map[string]string{"TEMPORAL_TLS_CA": ca.File}, "requires a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"},
		{"a certificate from another CA", map[string]string{"TEMPORAL_TLS_CERT": otherCert, "TEMPORAL_TLS_KEY": otherKey, "TEMPORAL_TLS_CA": ca.File}, "TEMPORAL_TLS_CERT signed by a CA the server accepts"},
		{"the server's CA not trusted", map[string]string{"TEMPORAL_TLS_CERT": clientCert, "TEMPORAL_TLS_KEY": clientKey}, "the server's certificate is not signed by a CA in TEMPORAL_TLS_CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["TEMPORAL_ADDRESS"] = addr
			c, err := dial(t, workerTemporal(t, tc.env))
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), "temporal at "+addr) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v; want the address and %q", err, tc.want)
			}
		})
	}
}

// TestAPIKeyOnTheRealFrontend: the embedded server's frontend (over TLS, as Temporal Cloud's) admits
// only calls with its API key. TEMPORAL_API_KEY, read as the worker reads it, runs a workflow through a
// polling worker; a wrong key and no key are refused at the dial with PermissionDenied, and neither the
// error nor the server's log (which records each refusal) shows either key.
func TestAPIKeyOnTheRealFrontend(t *testing.T) {
	const key = "dsr-test-key-5f1c9a"
	ca := certtest.NewCA(t, "temporal-ca")
	serverCert, serverKey := ca.Server("temporal")
	addr, logFile := startSecured(t, &devserver.TLS{CertFile: serverCert, KeyFile: serverKey}, key)

	c, err := dial(t, workerTemporal(t, map[string]string{"TEMPORAL_ADDRESS": addr, "TEMPORAL_TLS_CA": ca.File, "TEMPORAL_API_KEY": key}))
	if err != nil {
		t.Fatalf("dial with the API key: %v", err)
	}
	defer c.Close()
	runEcho(t, c)

	for _, tc := range []struct {
		name, key, want string
	}{
		{"wrong key", "dsr-wrong-key-77aa03", "Request unauthorized.; the server refused the credentials: check TEMPORAL_API_KEY"},
		{"no key", "", "Request unauthorized.; the server requires credentials: TEMPORAL_API_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := dial(t, workerTemporal(t, map[string]string{"TEMPORAL_ADDRESS": addr, "TEMPORAL_TLS_CA": ca.File, "TEMPORAL_API_KEY": tc.key}))
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded")
			}
			t.Log(err)
			var denied *serviceerror.PermissionDenied
			if !errors.As(err, &denied) || !strings.Contains(err.Error(), "temporal at "+addr) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v; want PermissionDenied naming the address and %q", err, tc.want)
			}
			if strings.Contains(err.Error(), key) || (tc.key != "" && strings.Contains(err.Error(), tc.key)) {
				t.Fatalf("error prints a key: %v", err)
			}
		})
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "Authorization error") {
		t.Fatalf("the server's log records no refusal:\n%s", log)
	}
	for _, k := range []string{key, "dsr-wrong-key-77aa03"} {
		if strings.Contains(string(log), k) {
			t.Errorf("the server's log holds the key %s", k)
		}
	}
}

// TestStartRefusesBadTLSOptions: TLS settings the server could not serve are refused before anything
// starts, naming what is wrong.
func TestStartRefusesBadTLSOptions(t *testing.T) {
	ca := certtest.NewCA(t, "temporal-ca")
	cert, key := ca.Server("temporal")
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not-a-ca.pem")
	if err := os.WriteFile(notPEM, []byte("no certificate here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pg := &devserver.Postgres{Addr: "127.0.0.1:1", User: "nobody", Database: "temporal", VisibilityDatabase: "temporal_visibility"}
	for _, c := range []struct {
		name string
		opts devserver.Options
		want string
	}{
		{"no key file", devserver.Options{TLS: &devserver.TLS{CertFile: cert}}, "the certificate file and the key file are both needed"},
		{"key of another certificate", devserver.Options{TLS: &devserver.TLS{CertFile: cert, KeyFile: ca.File}}, "temporal TLS certificate:"},
		{"client CA missing", devserver.Options{TLS: &devserver.TLS{CertFile: cert, KeyFile: key, ClientCAFile: filepath.Join(dir, "missing.pem")}}, "temporal TLS client CA:"},
		{"client CA not PEM", devserver.Options{TLS: &devserver.TLS{CertFile: cert, KeyFile: key, ClientCAFile: notPEM}}, "holds no PEM certificate"},
		{"API key on a history process", devserver.Options{Postgres: pg, Services: []string{"history"}, APIKey: "k"}, "only a process that runs all four services"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Namespace = "default"
			c.opts.FrontendAddr = "127.0.0.1:7233"
			c.opts.DatabaseFile = filepath.Join(dir, "t.db")
			srv, err := devserver.Start(c.opts)
			if err == nil {
				_ = srv.Stop()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v; want it to contain %q", err, c.want)
			}
			if _, err := os.Stat(c.opts.DatabaseFile); err == nil {
				t.Fatal("the database file was created")
			}
		})
	}
}
