package service_test

import (
	"context"
	"path/filepath"
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
)

func as(role string) context.Context {
	return dsrflow.WithPrincipal(context.Background(), dsrflow.Principal{ID: "token:someone", Role: role})
}

// Every operation checks the caller's role itself, before it reads or changes anything (the service here
// has no store and no Temporal: reaching either would panic). This is what makes a console page and a
// token client meet the same refusal with the same message.
func TestEveryOperationChecksItsRole(t *testing.T) {
	s := &service.Service{}
	agents := []string{dsrflow.RoleAgent, dsrflow.RoleDPO}
	reviewers := []string{dsrflow.RoleReviewer, dsrflow.RoleDPO}
	everyone := []string{dsrflow.RoleAgent, dsrflow.RoleReviewer, dsrflow.RoleDPO}
	ops := []struct {
		name    string
		allowed []string
		call    func(ctx context.Context) error
	}{
		{"create", agents, func(ctx context.Context) error {
			_, err := s.CreateRequest(ctx, dsrflow.NewRequest{Type: "access", Email: "jane@example.com"})
			return err
		}},
		{"verify", agents, func(ctx context.Context) error { _, err := s.VerifyRequest(ctx, "dsr_1", "123456"); return err }},
		{"resend", agents, func(ctx context.Context) error { _, err := s.ResendCode(ctx, "dsr_1"); return err }},
		{"verify eid", agents, func(ctx context.Context) error {
			_, err := s.VerifyEID(ctx, "dsr_1", dsrflow.EIDPerson{NationalID: "010203-1234"})
			return err
		}},
		{"decide", reviewers, func(ctx context.Context) error {
			_, err := s.Decide(ctx, "dsr_1", dsrflow.ReviewDecision{Decision: "approve"})
			return err
		}},
		{"vote", reviewers, func(ctx context.Context) error {
			_, err := s.VoteDisclosure(ctx, "dsr_1", dsrflow.ReviewDecision{Decision: "approve"})
			return err
		}},
		{"extend", agents, func(ctx context.Context) error { _, err := s.ExtendRequest(ctx, "dsr_1", "r"); return err }},
		{"cancel", agents, func(ctx context.Context) error { _, err := s.CancelRequest(ctx, "dsr_1", "r"); return err }},
		{"resolve", agents, func(ctx context.Context) error {
			_, err := s.ResolveJob(ctx, "dsr_1", dsrflow.JobResolution{JobID: "dsr_1:crm:erase", Action: "retry"})
			return err
		}},
		{"get", everyone, func(ctx context.Context) error { _, err := s.GetRequest(ctx, "dsr_1"); return err }},
		{"list", everyone, func(ctx context.Context) error { _, err := s.ListRequests(ctx, dsrflow.RequestQuery{}); return err }},
		{"messages", everyone, func(ctx context.Context) error { _, err := s.RequestMessages(ctx, "dsr_1"); return err }},
		{"export", agents, func(ctx context.Context) error { _, err := s.RequestExport(ctx, "dsr_1"); return err }},
		{"tasks", agents, func(ctx context.Context) error { _, err := s.RequestTasks(ctx, "dsr_1"); return err }},
		{"task", agents, func(ctx context.Context) error { _, err := s.Task(ctx, "dsr_1.crm"); return err }},
		{"answer", agents, func(ctx context.Context) error {
			_, err := s.AnswerTask(ctx, "dsr_1.crm", dsrflow.TaskAnswer{Outcome: "done"})
			return err
		}},
		{"disclose", agents, func(ctx context.Context) error {
			_, err := s.CreateDisclosure(ctx, dsrflow.NewDisclosure{})
			return err
		}},
		{"reviews", everyone, func(ctx context.Context) error { _, err := s.Reviews(ctx); return err }},
		{"register", []string{dsrflow.RoleDPO}, func(ctx context.Context) error { _, err := s.DisclosureRegister(ctx, 2026); return err }},
		{"report", []string{dsrflow.RoleDPO}, func(ctx context.Context) error { _, err := s.TransparencyReport(ctx, 2026); return err }},
		{"stats", []string{dsrflow.RoleDPO}, func(ctx context.Context) error {
			_, err := s.RequestStats(ctx, dsrflow.StatsQuery{Year: 2026})
			return err
		}},
		{"order copy", []string{dsrflow.RoleDPO}, func(ctx context.Context) error { _, err := s.DisclosureOrder(ctx, "dsr_1"); return err }},
		{"gpc", agents, func(ctx context.Context) error { _, err := s.RecordGPC(ctx, "dsr_1"); return err }},
		{"dashboard", everyone, func(ctx context.Context) error { _, err := s.Dashboard(ctx); return err }},
		{"outbox", nil, func(ctx context.Context) error { _, err := s.Outbox(ctx, dsrflow.OutboxQuery{}); return err }},
		{"suppression", everyone, func(ctx context.Context) error { _, err := s.Suppression(ctx, strings.Repeat("a", 64)); return err }},
		{"assign", agents, func(ctx context.Context) error { _, err := s.AssignRequest(ctx, "dsr_1", "me"); return err }},
		{"note", agents, func(ctx context.Context) error { _, err := s.AddNote(ctx, "dsr_1", "called back"); return err }},
	}
	roles := []string{dsrflow.RoleAgent, dsrflow.RoleReviewer, dsrflow.RoleDPO, "auditor", ""}
	for _, op := range ops {
		for _, role := range roles {
			if contains(op.allowed, role) {
				continue
			}
			err := op.call(as(role))
			if dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN || err.Error() != "role "+role+" may not do this" {
				t.Errorf("%s as %q: %v, want EFORBIDDEN", op.name, role, err)
			}
		}
		if err := op.call(context.Background()); dsrflow.ErrorCode(err) != dsrflow.EUNAUTHORIZED {
			t.Errorf("%s without a caller: %v, want EUNAUTHORIZED", op.name, err)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Bad input is refused with per-field messages before anything is read or changed.
func TestBadInputIsRefusedFirst(t *testing.T) {
	s := &service.Service{Key: secret.Key(strings.Repeat("k", secret.MinKeyLen))}
	for name, call := range map[string]func() error{
		"reviewer searches by email": func() error {
			_, err := s.ListRequests(as(dsrflow.RoleReviewer), dsrflow.RequestQuery{Email: "jane@example.com"})
			if err != nil && err.Error() != "role reviewer may not search by email" {
				t.Errorf("search by email: %q", err)
			}
			if dsrflow.ErrorCode(err) != dsrflow.EFORBIDDEN {
				t.Errorf("search by email: %v, want EFORBIDDEN", err)
			}
			return dsrflow.Errorf(dsrflow.EINVALID, "")
		},
		"eID verification without a national id": func() error {
			_, err := s.VerifyEID(as(dsrflow.RoleAgent), "dsr_1", dsrflow.EIDPerson{Name: "Jane Smith"})
			return err
		},
		"unknown status": func() error {
			_, err := s.ListRequests(as(dsrflow.RoleAgent), dsrflow.RequestQuery{Status: "done"})
			return err
		},
		"bad due_within": func() error {
			_, err := s.ListRequests(as(dsrflow.RoleAgent), dsrflow.RequestQuery{DueWithin: "soon"})
			return err
		},
		"limit too high": func() error {
			_, err := s.ListRequests(as(dsrflow.RoleAgent), dsrflow.RequestQuery{Limit: 1001})
			return err
		},
		"five-digit code": func() error { _, err := s.VerifyRequest(as(dsrflow.RoleAgent), "dsr_1", "12345"); return err },
		"letters in code": func() error { _, err := s.VerifyRequest(as(dsrflow.RoleAgent), "dsr_1", "12a456"); return err },
		"invalid request": func() error {
			_, err := s.CreateRequest(as(dsrflow.RoleAgent), dsrflow.NewRequest{Type: "access"})
			return err
		},
		"cannot, no reason": func() error {
			_, err := s.AnswerTask(as(dsrflow.RoleAgent), "dsr_1.crm", dsrflow.TaskAnswer{Outcome: "cannot"})
			return err
		},
		"unknown outcome": func() error {
			_, err := s.AnswerTask(as(dsrflow.RoleAgent), "dsr_1.crm", dsrflow.TaskAnswer{Outcome: "approve"})
			return err
		},
		"records with nothing found": func() error {
			_, err := s.AnswerTask(as(dsrflow.RoleAgent), "dsr_1.crm", dsrflow.TaskAnswer{Outcome: "nothing_found",
				Records: []dsrflow.TaskRecord{{Dataset: "user.name", Fields: map[string]string{"name": "Jane Smith"}, Categories: map[string]string{"name": "user.name"}}}})
			return err
		},
		"a Slack click's key": func() error {
			_, err := s.AnswerTask(as(dsrflow.RoleAgent), "dsr_1.crm", dsrflow.TaskAnswer{Outcome: "done", Key: "Slack:U1:dsr_1.crm"})
			return err
		},
		"a key too long": func() error {
			_, err := s.AnswerTask(as(dsrflow.RoleAgent), "dsr_1.crm", dsrflow.TaskAnswer{Outcome: "done", Key: strings.Repeat("k", 256)})
			return err
		},
		"unknown resolution": func() error {
			_, err := s.ResolveJob(as(dsrflow.RoleAgent), "dsr_1", dsrflow.JobResolution{JobID: "dsr_1:crm:erase", Action: "approve"})
			return err
		},
		"failed, no reason": func() error {
			_, err := s.ResolveJob(as(dsrflow.RoleAgent), "dsr_1", dsrflow.JobResolution{JobID: "dsr_1:crm:erase", Action: "failed", Reason: " "})
			return err
		},
		"disclosure without subjects": func() error {
			_, err := s.CreateDisclosure(as(dsrflow.RoleAgent), dsrflow.NewDisclosure{Authority: "Police", Country: "NO", CaseRef: "C1", LegalBasis: "x", Categories: []string{"orders"}})
			return err
		},
	} {
		if err := call(); dsrflow.ErrorCode(err) != dsrflow.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

// startRecorder stands in for Temporal: it records the workflows started.
type startRecorder struct {
	client.Client
	mu      sync.Mutex
	started []string
}

func (c *startRecorder) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = append(c.started, o.ID)
	return nil, nil
}

// A request is recorded with its pending start and started at once; with DeferStart (the privacy center)
// it stays recorded and unstarted until StartRequest, and then it is started from what was stored.
func TestIntakeRecordsThenStarts(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	temporal := &startRecorder{}
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	s := &service.Service{Client: temporal, Store: st, Key: secret.Key(strings.Repeat("k", secret.MinKeyLen)), Now: func() time.Time { return now }}
	agent := as(dsrflow.RoleAgent)

	created, err := s.CreateRequest(agent, dsrflow.NewRequest{Type: "access", Email: "jane@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if created.Status != "received" || created.Due != "2026-12-02" || created.Verification != string(dsrflow.VerifyEmailCode) {
		t.Errorf("created %+v", created)
	}
	if len(temporal.started) != 1 || temporal.started[0] != created.ID {
		t.Fatalf("started %v, want %s", temporal.started, created.ID)
	}
	if _, err := st.GetPendingStart(ctx, created.ID); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Errorf("pending start after the start: %v, want it dropped", err)
	}
	if _, err := s.CreateRequest(agent, dsrflow.NewRequest{Type: "access", Email: " jane@example.com"}); dsrflow.ErrorCode(err) != dsrflow.ECONFLICT {
		t.Errorf("a second open access request of the subject: %v, want ECONFLICT", err)
	}

	deferred, err := s.CreateRequest(as(dsrflow.RoleAgent), dsrflow.NewRequest{Type: "erasure", Email: "jane@example.com", DeferStart: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(temporal.started) != 1 {
		t.Fatalf("a deferred request was started at intake: %v", temporal.started)
	}
	if _, err := st.GetPendingStart(ctx, deferred.ID); err != nil {
		t.Fatalf("a deferred request has no pending start: %v", err)
	}
	s.StartRequest(ctx, deferred.ID)
	if len(temporal.started) != 2 || temporal.started[1] != deferred.ID {
		t.Errorf("started %v after StartRequest, want %s", temporal.started, deferred.ID)
	}
}
