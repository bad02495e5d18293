package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/reconcile"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// TestReconcilerOnTheEmbeddedServer is issue 13's intake crash and operator cancel/terminate on the real
// server: a request recorded with its input but never started is started by the reconciler and
// proceeds; a waiting request canceled or terminated in Temporal is closed with its true status, an
// audit event and a mail, and the subject may then ask again.
func TestReconcilerOnTheEmbeddedServer(t *testing.T) {
	// The stack's own reconciler is left out: this test drives one and asserts what it repaired.
	s := startWith(t, devstack.Options{Config: testConfig(t, t.TempDir()), NoReconciler: true})
	defer stop(t, s)
	ctx := context.Background()
	api := apiClient{t: t, stack: s}
	r := &reconcile.Reconciler{Store: s.Store, Temporal: reconcile.Client{Client: s.Client}, Controller: s.Product.Controller}

	// The front door died after its commit: the row and the input are there, no workflow.
	id := recordWithoutStart(t, s, "crash@example.com", time.Now().Add(-time.Minute))
	fixes, err := r.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !hasFix(fixes, id, "started") {
		t.Fatalf("fixes = %+v, want %s started", fixes, id)
	}
	api.waitStatus(id, string(dsrflow.StatusVerifying))
	if _, err := s.Store.GetPendingStart(ctx, id); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("pending start after the start: %v", err)
	}

	for _, tc := range []struct {
		name, email string
		end         func(id string) error
		status      dsrflow.Status
		says        string
	}{
		{"cancel", "canceled@example.com", func(id string) error { return s.Client.CancelWorkflow(ctx, id, "") },
			dsrflow.StatusCanceled, "was canceled, and we have closed it"},
		{"terminate", "terminated@example.com", func(id string) error { return s.Client.TerminateWorkflow(ctx, id, "", "operator") },
			dsrflow.StatusAborted, "before we could finish it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			since := time.Now()
			id := api.create(web.NewRequest{Type: "access", Email: tc.email})
			api.waitStatus(id, string(dsrflow.StatusVerifying))
			if err := tc.end(id); err != nil {
				t.Fatal(err)
			}
			// What a worker does every minute: the workflows that closed since its last pass.
			waitFor(t, "the reconciler to close "+id, func() bool {
				if _, err := r.Recent(ctx, since); err != nil {
					t.Fatal(err)
				}
				return api.show(id).Closed != nil
			})
			v := api.show(id)
			if v.Status != string(tc.status) {
				t.Fatalf("status = %s, want %s", v.Status, tc.status)
			}
			// The reconciler's event; a workflow that records its own end on a Temporal cancel (issue 13)
			// may have closed it first with an event of its own, which is as good.
			if !hasEvent(v, "request_reconciled") && !(tc.status == dsrflow.StatusCanceled && hasEventLike(v, "cancel")) {
				t.Fatalf("no closing audit event: %+v", v.Events)
			}
			msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
			if err != nil {
				t.Fatal(err)
			}
			var told bool
			for _, m := range msgs {
				told = told || (m.Kind == "answer" && m.To == tc.email && strings.Contains(m.Body, tc.says) && strings.Contains(m.Body, "You may send a new request"))
			}
			if !told {
				t.Fatalf("no mail telling the subject %q among %d messages", tc.says, len(msgs))
			}
			// The closed request does not block the subject.
			api.create(web.NewRequest{Type: "access", Email: tc.email})
		})
	}
}

// recordWithoutStart records an access request as the front door does, dated at, without starting it.
func recordWithoutStart(t *testing.T, s *devstack.Stack, email string, at time.Time) string {
	t.Helper()
	due, err := deadline.Compute(at, "NO", deadline.GDPR)
	if err != nil {
		t.Fatal(err)
	}
	dueAt, _ := deadline.EndOfDay(due.Due, "NO")
	extAt, _ := deadline.EndOfDay(due.ExtendedDue, "NO")
	in := workflows.RequestInput{ID: "dsr_reconcilertest" + strings.Repeat("a", 12), Type: dsrflow.Access, Country: "NO", Jurisdiction: "gdpr", Channel: "web",
		ReceivedAt: at.UTC(), Due: dueAt.UTC(), ExtendedDue: extAt.UTC(), SubjectKey: s.Product.Key.SubjectKey(email),
		Identity: dsrflow.Identity{Email: email}, Verification: dsrflow.VerifyEmailCode, Actor: "token:dev", Version: workflows.RequestVersion}
	row := store.Request{ID: in.ID, Type: "access", Status: "received", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: in.ReceivedAt, DueAt: in.Due, UpdatedAt: at, SubjectKey: in.SubjectKey}
	identity, _ := json.Marshal(in.Identity)
	input, _ := json.Marshal(in)
	if err := s.Store.CreateRequest(context.Background(), row, store.RequestDetail{RequestID: in.ID, Identity: identity}, input); err != nil {
		t.Fatal(err)
	}
	// Its subject is already taken: a second request is refused naming it.
	status, body := apiClient{t: t, stack: s}.call("POST", "/api/v1/requests", web.NewRequest{Type: "access", Email: email})
	if status != http.StatusConflict || !strings.Contains(string(body), in.ID) {
		t.Fatalf("duplicate of a recorded request: %d %s", status, body)
	}
	return in.ID
}

func hasEventLike(v web.RequestView, part string) bool {
	for _, e := range v.Events {
		if strings.Contains(e.Action, part) {
			return true
		}
	}
	return false
}

func hasFix(fixes []reconcile.Fix, id, action string) bool {
	for _, f := range fixes {
		if f.RequestID == id && f.Action == action {
			return true
		}
	}
	return false
}
