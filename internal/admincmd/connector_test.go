package admincmd

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/internal/app"
)

func TestConnectorCheckPassesADemoConnector(t *testing.T) {
	d, err := demo.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	// One synchronous, one async; --foreign is a phone number each holds (John's, Ola's).
	for id, phone := range map[string]string{"crm": "+47 400 00 001", "recruiting": "+47 400 00 002"} {
		c, _ := d.Registry().Get(id)
		conn, _ := c.Endpoint()
		env := map[string]string{"CONN_SECRET": string(conn.Secret)}
		code, stdout, stderr := runAdmin(t, env, "connector", "check", "--url", conn.URL, "--secret-env", "CONN_SECRET", "--foreign", "phone="+phone, "--json")
		if code != app.ExitOK {
			t.Fatalf("%s: exit %d, stderr %q, stdout %s", id, code, stderr, stdout)
		}
		var report struct {
			URL       string `json:"url"`
			Connector string `json:"connector"`
			Action    string `json:"action"`
			Passed    bool   `json:"passed"`
			Checks    []struct {
				Name   string `json:"name"`
				Passed *bool  `json:"passed"`
				Detail string `json:"detail"`
			} `json:"checks"`
		}
		if err := json.Unmarshal([]byte(stdout), &report); err != nil {
			t.Fatalf("%s: stdout is not JSON: %v\n%s", id, err, stdout)
		}
		if !report.Passed || report.Connector != id || report.Action != "access" || report.URL != conn.URL || len(report.Checks) < 10 {
			t.Errorf("%s: report %+v", id, report)
		}
		for _, c := range report.Checks {
			if c.Name == "" || c.Passed == nil || !*c.Passed || c.Detail == "" {
				t.Errorf("%s: check %+v", id, c)
			}
			if c.Name == "foreign_identifier_conflicts" && !strings.Contains(c.Detail, "ended identity_conflict") {
				t.Errorf("%s: the binding check was not made: %+v", id, c)
			}
		}
		if strings.Contains(stdout+stderr, string(conn.Secret)) {
			t.Errorf("%s: the secret was printed", id)
		}
	}
}

func TestConnectorCheckFailsAConnectorThatIgnoresSignatures(t *testing.T) {
	// Answers every job not_found, signed or not.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var job connectors.Job
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &job); err != nil || job.Validate() != nil || job.Action != "access" {
			connectors.WriteError(w, http.StatusBadRequest, "bad job")
			return
		}
		connectors.WriteJSON(w, http.StatusOK, connectors.Result{JobID: job.ID, Status: connectors.StatusNotFound})
	}))
	defer srv.Close()
	env := map[string]string{"CONN_SECRET": strings.Repeat("s", 32)}
	code, stdout, stderr := runAdmin(t, env, "connector", "check", "--url", srv.URL, "--secret-env", "CONN_SECRET")
	if code != app.ExitFailure {
		t.Fatalf("exit %d, want %d; stderr %q", code, app.ExitFailure, stderr)
	}
	for _, want := range []string{"FAIL  rejects_unsigned", "FAIL  rejects_forged_signature", "FAIL  rejects_stale_timestamp", "PASS  same_job_same_answer", "8 of 11 checks passed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "3 of 11 checks failed") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestConnectorCheckUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no url":         {"connector", "check", "--secret-env", "CONN_SECRET"},
		"empty secret":   {"connector", "check", "--url", "http://127.0.0.1:1/crm", "--secret-env", "UNSET"},
		"bad identity":   {"connector", "check", "--url", "http://127.0.0.1:1/crm", "--secret-env", "CONN_SECRET", "--identity", "ssn=1"},
		"bad foreign":    {"connector", "check", "--url", "http://127.0.0.1:1/crm", "--secret-env", "CONN_SECRET", "--foreign", "phone"},
		"unknown flag":   {"connector", "check", "--url", "http://127.0.0.1:1/crm", "--secret-env", "CONN_SECRET", "--nope"},
		"stray argument": {"connector", "check", "--url", "http://127.0.0.1:1/crm", "--secret-env", "CONN_SECRET", "extra"},
	} {
		code, _, stderr := runAdmin(t, map[string]string{"CONN_SECRET": strings.Repeat("s", 32)}, args...)
		if code != app.ExitConfig {
			t.Errorf("%s: exit %d, want %d; stderr %q", name, code, app.ExitConfig, stderr)
		}
	}
}
