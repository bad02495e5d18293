package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// `starter job resolve` takes exactly one decision and sends it to the request's job route; a failed
// job needs its reason, which the subject is told.
func TestJobResolve(t *testing.T) {
	var paths []string
	var bodies []map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]string
		_ = json.NewDecoder(r.Body).Decode(&b)
		paths, bodies = append(paths, r.Method+" "+r.URL.Path), append(bodies, b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"dsr_x","status":"fulfilling"}`))
	}))
	defer srv.Close()
	env := map[string]string{"DSR_URL": srv.URL, "DSR_TOKEN": "t"}

	for _, args := range [][]string{
		{"job", "resolve", "dsr_x", "crm:access"},
		{"job", "resolve", "dsr_x", "crm:access", "--retry", "--done"},
		{"job", "resolve", "dsr_x", "crm:access", "--failed", "  "},
	} {
		if code, _, errOut := runStarter(t, env, args...); code == 0 {
			t.Errorf("starter %s: exit 0 (%s), want a usage error", strings.Join(args, " "), errOut)
		}
	}
	if len(paths) != 0 {
		t.Fatalf("refused commands reached the front door: %v", paths)
	}
	code, out, errOut := runStarter(t, env, "job", "resolve", "dsr_x", "crm:access", "--failed", "the CRM was retired")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if len(paths) != 1 || paths[0] != "POST /api/v1/requests/dsr_x/jobs/crm:access/resolve" ||
		bodies[0]["action"] != "failed" || bodies[0]["reason"] != "the CRM was retired" {
		t.Fatalf("sent %v %v", paths, bodies)
	}
	if !strings.Contains(out, "failed") {
		t.Errorf("output %q does not say what was done", out)
	}
}

// An identity conflict is confirmed with the subject (the reason says how) or its unverified
// identifiers dropped; a confirm without a reason, or with both, never reaches the front door.
func TestJobResolveIdentityConflict(t *testing.T) {
	var paths []string
	var bodies []map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]string
		_ = json.NewDecoder(r.Body).Decode(&b)
		paths, bodies = append(paths, r.Method+" "+r.URL.Path), append(bodies, b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"dsr_x","status":"fulfilling"}`))
	}))
	defer srv.Close()
	env := map[string]string{"DSR_URL": srv.URL, "DSR_TOKEN": "t"}

	for _, args := range [][]string{
		{"job", "resolve", "dsr_x", "billing:access", "--confirm-identifiers"},
		{"job", "resolve", "dsr_x", "billing:access", "--confirm-identifiers", "--reason", " "},
		{"job", "resolve", "dsr_x", "billing:access", "--confirm-identifiers", "--drop-identifiers", "--reason", "x"},
		{"job", "resolve", "dsr_x", "billing:access", "--drop-identifiers", "--reason", "x"},
	} {
		if code, _, errOut := runStarter(t, env, args...); code == 0 {
			t.Errorf("starter %s: exit 0 (%s), want a usage error", strings.Join(args, " "), errOut)
		}
	}
	if len(paths) != 0 {
		t.Fatalf("refused commands reached the front door: %v", paths)
	}
	for _, tc := range []struct {
		args           []string
		action, reason string
	}{
		{[]string{"--confirm-identifiers", "--reason", "confirmed by phone"}, "confirm", "confirmed by phone"},
		{[]string{"--drop-identifiers"}, "drop", ""},
	} {
		paths, bodies = nil, nil
		code, out, errOut := runStarter(t, env, append([]string{"job", "resolve", "dsr_x", "billing:access"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		if len(paths) != 1 || paths[0] != "POST /api/v1/requests/dsr_x/jobs/billing:access/resolve" ||
			bodies[0]["action"] != tc.action || bodies[0]["reason"] != tc.reason {
			t.Fatalf("%v sent %v %v", tc.args, paths, bodies)
		}
		if !strings.Contains(out, tc.action) {
			t.Errorf("output %q does not say what was done", out)
		}
	}
	_, help, _ := runStarter(t, env, "job", "resolve", "--help")
	for _, want := range []string{"--confirm-identifiers", "--drop-identifiers", "identity_conflict"} {
		if !strings.Contains(help, want) {
			t.Errorf("job resolve --help does not mention %s", want)
		}
	}
}
