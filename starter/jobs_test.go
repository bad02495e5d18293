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
