package admincmd

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.temporal.io/server/common/testing/freeport"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/devserver"
	"github.com/dsrflow/dsrflow/internal/devserver/certtest"
)

// TestTemporalSetupThenCheck is the administrator's step on a bare namespace (a Temporal server with
// none of dsrflow's search attributes and no schedule): the check a worker makes fails naming what is
// missing and the command; setup adds it and says so; a second setup changes nothing; the check passes.
func TestTemporalSetupThenCheck(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	srv, err := devserver.Start(devserver.Options{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), FrontendAddr: addr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	env := map[string]string{"TEMPORAL_ADDRESS": addr, "TEMPORAL_NAMESPACE": "default"}

	code, out, errOut := runAdmin(t, env, "temporal", "check")
	if code != app.ExitConfig {
		t.Fatalf("check on a bare namespace: exit %d, %q %q; want exit 2", code, out, errOut)
	}
	for _, want := range []string{"Temporal namespace default is not set up for dsrflow", "search attribute DsrType (Keyword)", "search attribute DsrDueAt (Datetime)", "schedule dsrflow-retention", "run `starter temporal setup`"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check error lacks %q:\n%s", want, errOut)
		}
	}

	code, out, errOut = runAdmin(t, env, "temporal", "setup")
	if code != 0 {
		t.Fatalf("setup: exit %d, %q", code, errOut)
	}
	for _, want := range []string{"added search attribute DsrType to namespace default", "added search attribute DsrDueAt to namespace default", "created schedule dsrflow-retention (the retention sweep, daily at 03:00 UTC)"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runAdmin(t, env, "temporal", "setup")
	if code != 0 || strings.TrimSpace(out) != "nothing to change: namespace default has dsrflow's search attributes and the retention schedule" {
		t.Fatalf("second setup: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut = runAdmin(t, env, "temporal", "check")
	if code != 0 || strings.TrimSpace(out) != "namespace default is set up for dsrflow" {
		t.Fatalf("check after setup: exit %d, %q %q", code, out, errOut)
	}

	// A namespace that does not exist is named, not reported as something to set up.
	env["TEMPORAL_NAMESPACE"] = "nope"
	if code, _, errOut = runAdmin(t, env, "temporal", "check"); code == 0 || !strings.Contains(errOut, "describe namespace nope") {
		t.Fatalf("check of an unknown namespace: exit %d, %q", code, errOut)
	}
}

// TestTemporalSetupWithAPIKey: the administrator's step against a frontend that, as Temporal Cloud's,
// takes only TLS and an API key (the embedded server in that mode): setup with TEMPORAL_API_KEY and
// TEMPORAL_TLS_CA registers the attributes and creates the schedule through the operator and schedule
// APIs, which the key's namespace admin role allows; check then passes. A wrong key changes nothing and
// is refused without the key in the error.
func TestTemporalSetupWithAPIKey(t *testing.T) {
	const key = "dsr-admin-key-3b07e1"
	ca := certtest.NewCA(t, "temporal-ca")
	cert, certKey := ca.Server("temporal")
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort()))
	srv, err := devserver.Start(devserver.Options{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), FrontendAddr: addr, Namespace: "default",
		TLS: &devserver.TLS{CertFile: cert, KeyFile: certKey}, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	env := map[string]string{"TEMPORAL_ADDRESS": addr, "TEMPORAL_NAMESPACE": "default", "TEMPORAL_TLS_CA": ca.File, "TEMPORAL_API_KEY": "dsr-wrong-key-9c4d21"}

	code, out, errOut := runAdmin(t, env, "temporal", "setup")
	// A refusal is not an outage: exit "denied", and the words say the server answered and said no.
	if code != cli.ExitDenied || !strings.Contains(errOut, "refused the credentials") || strings.Contains(errOut, "cannot reach") ||
		!strings.Contains(errOut, "Request unauthorized") || strings.Contains(errOut+out, "dsr-wrong-key-9c4d21") || strings.Contains(errOut+out, key) {
		t.Fatalf("setup with a wrong key: exit %d, %q %q; want a refusal that shows no key", code, out, errOut)
	}

	env["TEMPORAL_API_KEY"] = key
	code, out, errOut = runAdmin(t, env, "temporal", "setup")
	if code != 0 {
		t.Fatalf("setup: exit %d, %q %q", code, out, errOut)
	}
	for _, want := range []string{"added search attribute DsrType to namespace default", "created schedule dsrflow-retention"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = runAdmin(t, env, "temporal", "check")
	if code != 0 || strings.TrimSpace(out) != "namespace default is set up for dsrflow" {
		t.Fatalf("check after setup: exit %d, %q %q", code, out, errOut)
	}
}
