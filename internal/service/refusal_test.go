package service_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// workflowRecorder stands in for Temporal: it records the workflows started, with their input, and the
// updates sent, and answers every update with the state rejected.
type workflowRecorder struct {
	client.Client
	mu      sync.Mutex
	inputs  []workflows.RequestInput
	updates []client.UpdateWorkflowOptions
}

func (c *workflowRecorder) ExecuteWorkflow(_ context.Context, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inputs = append(c.inputs, args[0].(workflows.RequestInput))
	return nil, nil
}

func (c *workflowRecorder) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.updates = append(c.updates, o)
	return rejectedHandle{}, nil
}

type rejectedHandle struct{ client.WorkflowUpdateHandle }

func (rejectedHandle) Get(_ context.Context, v any) error {
	*(v.(*workflows.State)) = workflows.State{Status: dsrflow.StatusRejected}
	return nil
}

func newStoreService(t *testing.T, now *time.Time) (*service.Service, *workflowRecorder, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &workflowRecorder{}
	return &service.Service{Client: rec, Store: st, Key: secret.Key(strings.Repeat("k", secret.MinKeyLen)), Now: func() time.Time { return *now }}, rec, st
}

func asWho(id, role string) context.Context {
	return dsrflow.WithPrincipal(context.Background(), dsrflow.Principal{ID: id, Role: role})
}

// A refusal is a reviewer's or the DPO's: agents are refused before anything is read.
func TestRefusalRoles(t *testing.T) {
	s := &service.Service{}
	for _, role := range []string{dsrflow.RoleAgent, "auditor"} {
		_, err := s.RefuseRequest(as(role), "dsr_1", dsrflow.Refusal{Ground: "other", Reason: "r"})
		if dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN {
			t.Errorf("refusal as %s: %v, want EFORBIDDEN", role, err)
		}
	}
}

// A bad ground or an empty reason is EINVALID naming the field, before the store or Temporal is reached
// (the service here has neither: reaching them would panic).
func TestRefusalBadInputNamesTheField(t *testing.T) {
	s := &service.Service{}
	for name, tc := range map[string]struct {
		r      dsrflow.Refusal
		fields []string
	}{
		"bogus ground": {dsrflow.Refusal{Ground: "bored", Reason: "r"}, []string{"ground"}},
		"no ground":    {dsrflow.Refusal{Reason: "r"}, []string{"ground"}},
		"blank reason": {dsrflow.Refusal{Ground: "manifestly_unfounded", Reason: "  "}, []string{"reason"}},
		"both":         {dsrflow.Refusal{Ground: "x"}, []string{"ground", "reason"}},
	} {
		_, err := s.RefuseRequest(as(dsrflow.RoleDPO), "dsr_1", tc.r)
		e, ok := err.(*dsrflow.Error)
		if !ok || e.Code != dsrflow.EINVALID || len(e.Fields) != len(tc.fields) {
			t.Errorf("%s: %v, want EINVALID naming %v", name, err, tc.fields)
			continue
		}
		for _, f := range tc.fields {
			if e.Fields[f] == "" {
				t.Errorf("%s: fields %v lack %s", name, e.Fields, f)
			}
		}
	}
}

// A refusal goes to the workflow as the refuse update under an id bound to the caller, the request and
// the caller's key: a retry is the same update, another reviewer's is not. An answered request is a
// conflict and no update is sent.
func TestRefusalUpdateAndConflict(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s, rec, st := newStoreService(t, &now)
	created, err := s.CreateRequest(as(dsrflow.RoleAgent), dsrflow.NewRequest{Type: "access", Email: "jane@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	r := dsrflow.Refusal{Ground: " manifestly_excessive ", Reason: " the fifth request this month ", Key: "k1"}
	stt, err := s.RefuseRequest(asWho("token:dpo", dsrflow.RoleDPO), created.ID, r)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "state", stt.Status, string(dsrflow.StatusRejected))
	if _, err := s.RefuseRequest(asWho("token:dpo", dsrflow.RoleDPO), created.ID, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefuseRequest(asWho("token:legal", dsrflow.RoleReviewer), created.ID, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefuseRequest(asWho("token:dpo", dsrflow.RoleDPO), created.ID, dsrflow.Refusal{Ground: "other", Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(rec.updates) != 4 {
		t.Fatalf("%d updates, want 4", len(rec.updates))
	}
	u := rec.updates[0]
	eq(t, "update name", u.UpdateName, workflows.UpdateRefuse)
	eq(t, "workflow", u.WorkflowID, created.ID)
	eq(t, "argument", u.Args[0], any(workflows.RefuseInput{Actor: workflows.Actor{ID: "token:dpo", Role: dsrflow.RoleDPO}, Ground: "manifestly_excessive", Reason: "the fifth request this month"}))
	if u.UpdateID == "" || strings.Contains(u.UpdateID, "k1") {
		t.Errorf("update id %q: want a hash of caller, request and key", u.UpdateID)
	}
	eq(t, "a retry's update id", rec.updates[1].UpdateID, u.UpdateID)
	if rec.updates[2].UpdateID == u.UpdateID {
		t.Error("another reviewer's refusal with the same key shares the update id")
	}
	eq(t, "without a key", rec.updates[3].UpdateID, "")

	// The refusal closed the request; the DPO's retry with the key gets the answer, anyone else a conflict.
	if _, err := st.AppendAudit(context.Background(), store.AuditEvent{At: now, RequestID: created.ID, Action: store.RefusedAction, Actor: "token:dpo", Detail: map[string]string{"ground": "manifestly_excessive"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRequestStatus(context.Background(), created.ID, string(dsrflow.StatusRejected), now, true); err != nil {
		t.Fatal(err)
	}
	if stt, err := s.RefuseRequest(asWho("token:dpo", dsrflow.RoleDPO), created.ID, r); err != nil || stt.Status != string(dsrflow.StatusRejected) {
		t.Errorf("the refuser's retry after the close: %+v %v, want the state rejected", stt, err)
	}
	if _, err := s.RefuseRequest(asWho("token:legal", dsrflow.RoleReviewer), created.ID, r); dsrflow.ErrorCode(err) != dsrflow.ECONFLICT {
		t.Errorf("another reviewer's refusal after the close: %v, want ECONFLICT", err)
	}
	if err := st.SetRequestStatus(context.Background(), created.ID, string(dsrflow.StatusCompleted), now, true); err != nil {
		t.Fatal(err)
	}
	_, err = s.RefuseRequest(as(dsrflow.RoleDPO), created.ID, dsrflow.Refusal{Ground: "other", Reason: "x"})
	if dsrflow.ErrorCode(err) != dsrflow.ECONFLICT || !strings.Contains(err.Error(), "can no longer be refused") {
		t.Errorf("refusal after the answer: %v, want ECONFLICT saying it can no longer be refused", err)
	}
	if len(rec.updates) != 4 {
		t.Errorf("an update was sent to an answered request")
	}
}

// Consent is withdrawn for the controller's declared purposes only: an unknown one is EINVALID naming
// the field and the purposes there are; nothing is recorded.
func TestConsentWithdrawalPurposes(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s, rec, st := newStoreService(t, &now)
	_, err := s.CreateRequest(as(dsrflow.RoleAgent), dsrflow.NewRequest{Type: "consent_withdrawal", Email: "jane@example.com", Purposes: []string{"email_marketing", "totally_bogus_purpose"}})
	e, ok := err.(*dsrflow.Error)
	if !ok || e.Code != dsrflow.EINVALID || !strings.Contains(e.Fields["purposes"], `unknown purpose "totally_bogus_purpose"`) || !strings.Contains(e.Fields["purposes"], "email_marketing") {
		t.Fatalf("bogus purpose: %v (%+v), want EINVALID naming purposes and the declared ids", err, e)
	}
	if rows, _ := st.ListRequests(context.Background(), store.RequestFilter{}); len(rows) != 0 {
		t.Errorf("a refused request was recorded: %+v", rows)
	}
	if _, err := s.CreateRequest(as(dsrflow.RoleAgent), dsrflow.NewRequest{Type: "consent_withdrawal", Email: "jane@example.com", Purposes: []string{" email_marketing", "email_marketing"}}); err != nil {
		t.Fatal(err)
	}
	eq(t, "purposes started with", rec.inputs[0].Purposes, []string{"email_marketing"})

	custom := *s
	custom.Purposes = []service.Purpose{{ID: "newsletter", Name: "Newsletter"}}
	if _, err := custom.CreateRequest(as(dsrflow.RoleAgent), dsrflow.NewRequest{Type: "consent_withdrawal", Email: "john@example.com", Purposes: []string{"email_marketing"}}); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
		t.Errorf("a purpose the configured controller does not declare: %v, want EINVALID", err)
	}
}

// A request of a subject and type within the repeat window of an earlier completed one is flagged in
// its input (the workflow audits it), not refused; outside the window, or for another type, it is not.
func TestRepeatRequestFlaggedAtIntake(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s, rec, st := newStoreService(t, &now)
	ctx := context.Background()
	agent := as(dsrflow.RoleAgent)
	first, err := s.CreateRequest(agent, dsrflow.NewRequest{Type: "access", Email: "jane@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetRequestStatus(ctx, first.ID, string(dsrflow.StatusCompleted), now.Add(day), true); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * day)
	second, err := s.CreateRequest(agent, dsrflow.NewRequest{Type: "access", Email: "Jane@example.com"})
	if err != nil {
		t.Fatalf("a repeat was refused: %v", err)
	}
	eq(t, "second's repeat of", rec.inputs[1].RepeatOf, first.ID)
	if _, err := s.CreateRequest(agent, dsrflow.NewRequest{Type: "erasure", Email: "jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	eq(t, "another type's repeat of", rec.inputs[2].RepeatOf, "")

	if err := st.SetRequestStatus(ctx, second.ID, string(dsrflow.StatusRejected), now, true); err != nil {
		t.Fatal(err)
	}
	now = now.Add(91 * day)
	if _, err := s.CreateRequest(agent, dsrflow.NewRequest{Type: "access", Email: "jane@example.com"}); err != nil {
		t.Fatal(err)
	}
	eq(t, "after the window", rec.inputs[3].RepeatOf, "")
}

const day = 24 * time.Hour

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}
