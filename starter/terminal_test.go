package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/web"
)

// hostile holds what an attacker would put in a reason: a window-title OSC ended by BEL, a colour CSI, a
// C1 CSI, a carriage return and a newline that would fake a row of its own.
const hostile = "ok\x1b]0;pwn\x07 \x1b[31mred\x1b[0m \u009b2J\rback\nfake\trow\x00"

// assertNoControl fails when out holds a control character other than the newlines and tabs that are
// starter's own structure.
func assertNoControl(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			t.Fatalf("%s prints control character %U: %q", what, r, out)
		}
	}
}

// TestShowStripsControlCharacters is the attack of a reviewer whose reason carries escape sequences:
// `starter show` prints it to the operator's terminal without them, on the reason's own line.
func TestShowStripsControlCharacters(t *testing.T) {
	view := web.RequestView{ID: "dsr_ctl", Type: "objection", Status: "completed", Country: "NO", Due: "2026-03-02",
		Jobs:      []web.JobView{{Connector: "crm", Action: "object", Status: "failed", Detail: hostile}},
		Decisions: []web.DecisionView{{Reviewer: "U01\x1b[2J", Decision: "reject", Reason: hostile, Time: time.Now()}},
		Events:    []web.EventView{{Time: time.Now(), Action: "decided", Actor: "token:x", Reason: hostile}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/requests/dsr_ctl":
			_ = json.NewEncoder(w).Encode(view)
		default: // an error whose message quotes someone's text
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "refused: " + hostile, "code": dsrflow.ECONFLICT})
		}
	}))
	defer srv.Close()
	env := map[string]string{"DSR_URL": srv.URL, "DSR_TOKEN": "dsr_tok_test"}

	code, out, errOut := runStarter(t, env, "show", "dsr_ctl")
	if code != 0 {
		t.Fatalf("show: exit %d, %q", code, errOut)
	}
	assertNoControl(t, "show", out)
	if !strings.Contains(out, "ok red") || !strings.Contains(out, "back fake row") {
		t.Errorf("show lost the reason's printable text: %q", out)
	}
	// One line per job, decision and event, plus the request's: the newline inside the reason made none.
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("show printed %d lines, want 4: %q", n, out)
	}

	code, _, errOut = runStarter(t, env, "show", "dsr_other")
	if code != app.ExitInvalid || !strings.Contains(errOut, "refused: ok") {
		t.Fatalf("error answer: exit %d, %q", code, errOut)
	}
	assertNoControl(t, "the error message", errOut)
}

func TestTerminalWriterAcrossWrites(t *testing.T) {
	var buf bytes.Buffer
	w := cli.NewTerminalWriter(&buf)
	// A sequence and a two-byte C1 character cut between writes; an OSC left open ends at the newline.
	for _, part := range []string{"a\x1b", "]0;title\x07b", "\xc2", "\x9b31mc", "\x1b]unterminated\nd\n"} {
		if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write(%q) = %d, %v", part, n, err)
		}
	}
	if got := buf.String(); got != "abc\nd\n" {
		t.Fatalf("got %q, want %q", got, "abc\nd\n")
	}
}
