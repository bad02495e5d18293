package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// startRecorder stands in for Temporal: it records the request workflows started.
type startRecorder struct {
	client.Client
	mu     sync.Mutex
	inputs []workflows.RequestInput
}

func (c *startRecorder) ExecuteWorkflow(_ context.Context, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inputs = append(c.inputs, args[0].(workflows.RequestInput))
	return nil, nil
}

func (c *startRecorder) started() []workflows.RequestInput {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]workflows.RequestInput(nil), c.inputs...)
}

// Global Privacy Control (Sec-GPC: 1, 11 CCR §7025) on the privacy center, over the real service and
// store (SQLite), Temporal recorded: the first page and an unconfirmed request's page say what the signal
// does and record nothing; once the subject has proven the address, their request's page records an
// opt-out of sale and sharing (a do_not_sell request under the CCPA for that address, started, no code
// asked), audited on both requests, and says so with its reference; later visits record nothing more,
// and a visit without the signal says nothing about it.
func TestPrivacyCenterRecordsGPCOptOut(t *testing.T) {
	ss := newSessionServer(t)
	rec := &startRecorder{}
	ss.Client = rec
	ctx := context.Background()
	visit := func(path string, gpc bool) (int, string) {
		t.Helper()
		req := httptest.NewRequest("GET", "http://localhost"+path, nil)
		if gpc {
			req.Header.Set("Sec-GPC", "1")
		}
		w := httptest.NewRecorder()
		ss.mux.ServeHTTP(w, req)
		body, _ := io.ReadAll(w.Result().Body)
		return w.Code, string(body)
	}
	text := func(key string) string { return mustTextIn(dsrflow.DefaultLanguage, key) }

	// Nobody is identified on the first page.
	code, page := visit("/privacy", true)
	if code != http.StatusOK || !strings.Contains(page, text("gpc.unidentified")) {
		t.Errorf("first page with GPC: %d, want the notice %q", code, text("gpc.unidentified"))
	}
	if _, page := visit("/privacy", false); strings.Contains(page, `id="gpc"`) {
		t.Error("first page without GPC speaks of the signal")
	}

	created, err := ss.core().CreateRequest(dsrflow.WithPrincipal(ctx, privacyCenter),
		dsrflow.NewRequest{Type: "access", Email: "jane.doe@example.com", Name: "Jane Doe", Channel: "web", DeferStart: true})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	status := "/privacy/requests/" + id + "?t=" + ss.Key.StatusToken(id)

	// Not yet confirmed with the code: nothing is recorded, the page says when it will be.
	code, page = visit(status, true)
	if code != http.StatusOK || !strings.Contains(page, text("gpc.pending")) {
		t.Errorf("unconfirmed request's page with GPC: %d, want the notice %q", code, text("gpc.pending"))
	}
	if n := len(rec.started()); n != 0 {
		t.Fatalf("an unconfirmed visit started %d workflows", n)
	}

	// The workflow records the proof of the address.
	if _, err := ss.st.AppendAudit(ctx, store.AuditEvent{At: ss.now, RequestID: id, Action: workflows.UpdateVerified, Actor: "privacy-center"}); err != nil {
		t.Fatal(err)
	}
	code, page = visit(status, true)
	started := rec.started()
	if len(started) != 1 {
		t.Fatalf("confirmed visit with GPC started %d workflows, want the opt-out's", len(started))
	}
	optOut := started[0]
	if optOut.Type != dsrflow.DoNotSell || optOut.Jurisdiction != string(deadline.CCPA) || optOut.Identity.Email != "jane.doe@example.com" ||
		optOut.Verification != dsrflow.VerifyNone {
		t.Errorf("opt-out started %s under %s for %q, verification %s; want do_not_sell under ccpa for the subject, no code",
			optOut.Type, optOut.Jurisdiction, optOut.Identity.Email, optOut.Verification)
	}
	if code != http.StatusOK || !strings.Contains(page, text("gpc.recorded")) || !strings.Contains(page, optOut.ID) {
		t.Errorf("confirmed request's page with GPC: %d, want %q and the reference %s", code, text("gpc.recorded"), optOut.ID)
	}
	row, err := ss.st.GetRequest(ctx, optOut.ID)
	if err != nil || row.Type != dsrflow.DoNotSell || row.Jurisdiction != "ccpa" {
		t.Errorf("opt-out in the store: %+v %v", row, err)
	}
	gpcEvents := func(id, key string) []string {
		t.Helper()
		events, err := ss.st.ListAudit(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			if e.Action == service.GPCAction {
				out = append(out, e.Detail[key])
			}
		}
		return out
	}
	if got := gpcEvents(id, "opt_out"); len(got) != 1 || got[0] != optOut.ID {
		t.Errorf("audit on the visited request: %v, want one %s naming %s", got, service.GPCAction, optOut.ID)
	}
	if got := gpcEvents(optOut.ID, "signal_on"); len(got) != 1 || got[0] != id {
		t.Errorf("audit on the opt-out: %v, want one %s naming %s", got, service.GPCAction, id)
	}

	// The browser sends the signal with every page: it is recorded once.
	if _, page := visit(status, true); !strings.Contains(page, optOut.ID) {
		t.Error("a later visit does not name the opt-out")
	}
	if _, page := visit(status, false); strings.Contains(page, `id="gpc"`) {
		t.Error("a visit without GPC speaks of the signal")
	}
	if n := len(rec.started()); n != 1 || len(gpcEvents(id, "opt_out")) != 1 {
		t.Errorf("after more visits: %d workflows started, %d opt-outs audited; want 1 and 1", n, len(gpcEvents(id, "opt_out")))
	}
}
