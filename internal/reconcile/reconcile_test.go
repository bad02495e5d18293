package reconcile

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// fakeTemporal holds workflows by id; StartRequest adds a running one.
type fakeTemporal struct {
	mu      sync.Mutex
	wf      map[string]Execution
	started []string
	closed  []string
}

func (f *fakeTemporal) Describe(_ context.Context, id string) (Execution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wf[id], nil
}

func (f *fakeTemporal) StartRequest(_ context.Context, in workflows.RequestInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.wf[in.ID].Found {
		f.started = append(f.started, in.ID)
		f.wf[in.ID] = Execution{Found: true, Status: enums.WORKFLOW_EXECUTION_STATUS_RUNNING}
	}
	return nil
}

func (f *fakeTemporal) ClosedSince(context.Context, time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed, nil
}

var (
	ctx = context.Background()
	t0  = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(storetest.Keys(t, "")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// intake records a request as the front door does, with its workflow input as a pending start.
func intake(t *testing.T, s *store.Store, id, key string, at time.Time) workflows.RequestInput {
	t.Helper()
	return intakeType(t, s, id, key, at, dsrflow.Access)
}

func controller(t *testing.T) answer.Controller {
	c, err := answer.ParseController(dsrflow.DemoController)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIntakeCrashBeforeStart is the crash of issue 13 (1): the front door committed the request and died
// before starting its workflow. Within the grace period nothing happens (the front door may be starting
// it); after it, the reconciler starts it from the stored input, once, and drops the input.
func TestIntakeCrashBeforeStart(t *testing.T) {
	s := newStore(t)
	in := intake(t, s, "dsr_a", "key-a", t0)
	tf := &fakeTemporal{wf: map[string]Execution{}}
	now := t0.Add(10 * time.Second)
	r := &Reconciler{Store: s, Temporal: tf, Controller: controller(t), Now: func() time.Time { return now }}

	fixes, err := r.All(ctx)
	if err != nil || len(fixes) != 0 || len(tf.started) != 0 {
		t.Fatalf("within the grace period: fixes %v, started %v, err %v", fixes, tf.started, err)
	}
	now = t0.Add(DefaultGrace + time.Second)
	dry := *r
	dry.DryRun = true
	if fixes, err := dry.Recent(ctx, t0); err != nil || len(fixes) != 1 || !fixes[0].DryRun || len(tf.started) != 0 {
		t.Fatalf("dry run: fixes %v, started %v, err %v", fixes, tf.started, err)
	}
	fixes, err = r.Recent(ctx, t0)
	if err != nil || len(fixes) != 1 || fixes[0].Action != "started" || fixes[0].RequestID != in.ID {
		t.Fatalf("after the grace period: fixes %v, err %v", fixes, err)
	}
	if _, err := s.GetPendingStart(ctx, in.ID); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("pending start after the start: %v", err)
	}
	if fixes, _ := r.All(ctx); len(fixes) != 0 || len(tf.started) != 1 {
		t.Fatalf("second pass: fixes %v, started %v, want nothing more", fixes, tf.started)
	}
	got, _ := s.GetRequest(ctx, in.ID)
	if got.ClosedAt != nil {
		t.Fatalf("a started request was closed: %+v", got)
	}
}

// TestTemporalCancelAndTerminate is issue 13 (2): an operator cancels or terminates a waiting request in
// Temporal. The reconciler closes the row with the true status, an audit event without personal data
// and a mail that says what happened, and a new request of the subject is then accepted.
func TestTemporalCancelAndTerminate(t *testing.T) {
	for _, tc := range []struct {
		wf     enums.WorkflowExecutionStatus
		status dsrflow.Status
		mail   string
	}{
		{enums.WORKFLOW_EXECUTION_STATUS_CANCELED, dsrflow.StatusCanceled, "Our staff stopped its processing. Nothing was done with your data."},
		{enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, dsrflow.StatusAborted, "stopped its processing because of a problem in our systems. Nothing was done with your data."},
		{enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, dsrflow.StatusAborted, "A fault in our systems stopped its processing."},
	} {
		t.Run(tc.wf.String(), func(t *testing.T) {
			s := newStore(t)
			in := intake(t, s, "dsr_a", "key-a", t0)
			must(t, s.DropPendingStart(ctx, in.ID))
			must(t, s.SetRequestStatus(ctx, in.ID, "verifying", t0, false))
			tf := &fakeTemporal{wf: map[string]Execution{in.ID: {Found: true, Status: tc.wf}}, closed: []string{in.ID}}
			now := t0.Add(time.Hour)
			r := &Reconciler{Store: s, Temporal: tf, Controller: controller(t), Now: func() time.Time { return now }}

			// Two workers reconcile at once: one repair, one event, one mail.
			var wg sync.WaitGroup
			var mu sync.Mutex
			var fixes []Fix
			for range 2 {
				wg.Go(func() {
					f, err := r.Recent(ctx, t0)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					fixes = append(fixes, f...)
					mu.Unlock()
				})
			}
			wg.Wait()
			if len(fixes) != 1 || fixes[0].Status != string(tc.status) || !fixes[0].Mailed {
				t.Fatalf("fixes = %+v, want one close as %s with a mail", fixes, tc.status)
			}
			got, err := s.GetRequest(ctx, in.ID)
			must(t, err)
			if got.Status != tc.status || got.ClosedAt == nil {
				t.Fatalf("row = %+v, want closed %s", got, tc.status)
			}
			evs, err := s.ListAudit(ctx, in.ID)
			must(t, err)
			var n int
			for _, e := range evs {
				if e.Action == "request_reconciled" {
					n++
					if strings.Contains(e.Reason+strings.Join(mapValues(e.Detail), " "), "@") {
						t.Errorf("audit event holds personal data: %+v", e)
					}
				}
			}
			if n != 1 {
				t.Fatalf("%d request_reconciled events, want 1", n)
			}
			msgs, err := s.ListOutbox(ctx, store.OutboxFilter{RequestID: in.ID})
			must(t, err)
			if len(msgs) != 1 || msgs[0].To != in.Identity.Email || !strings.Contains(msgs[0].Body, tc.mail) ||
				!strings.Contains(msgs[0].Body, "You may send a new request") || !strings.Contains(msgs[0].Body, "complain to") {
				t.Fatalf("outbox = %+v, want one mail saying %q, that they may ask again and where to complain", msgs, tc.mail)
			}
			// The subject may ask again.
			intake(t, s, "dsr_b", "key-a", now)
		})
	}
}

// TestPhantomWithoutInput: a row written before intake was one transaction, with no workflow and no
// stored input, is closed (aborted) rather than blocking its subject for ever.
func TestPhantomWithoutInput(t *testing.T) {
	s := newStore(t)
	row := store.Request{ID: "dsr_old", Type: "access", Status: "received", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: t0, DueAt: t0.AddDate(0, 1, 0), UpdatedAt: t0, SubjectKey: "key-old"}
	must(t, s.PutRequest(ctx, row))
	must(t, s.PutRequestDetail(ctx, store.RequestDetail{RequestID: row.ID, Identity: []byte(`{"email":"old@example.com"}`)}))
	tf := &fakeTemporal{wf: map[string]Execution{}}
	r := &Reconciler{Store: s, Temporal: tf, Controller: controller(t), Now: func() time.Time { return t0.Add(time.Hour) }}
	fixes, err := r.All(ctx)
	if err != nil || len(fixes) != 1 || fixes[0].Workflow != "missing" || fixes[0].Status != "aborted" || !fixes[0].Mailed {
		t.Fatalf("fixes = %+v, err %v", fixes, err)
	}
	if len(tf.started) != 0 {
		t.Fatalf("started %v without an input", tf.started)
	}
	if _, err := s.FindOpenRequest(ctx, "key-old", "access"); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("the phantom still blocks its subject: %v", err)
	}
}

// TestCompletedWithoutLastStatus: a workflow that completed but whose last row write was lost is closed
// with the status it returned, and the subject, who got its answer from the workflow, is not mailed.
func TestCompletedWithoutLastStatus(t *testing.T) {
	s := newStore(t)
	in := intake(t, s, "dsr_a", "key-a", t0)
	tf := &fakeTemporal{wf: map[string]Execution{in.ID: {Found: true, Status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, Outcome: dsrflow.StatusCompleted}}}
	r := &Reconciler{Store: s, Temporal: tf, Controller: controller(t), Now: func() time.Time { return t0.Add(time.Hour) }}
	fixes, err := r.All(ctx)
	if err != nil || len(fixes) != 1 || fixes[0].Status != "completed" || fixes[0].Mailed {
		t.Fatalf("fixes = %+v, err %v", fixes, err)
	}
	if msgs, _ := s.ListOutbox(ctx, store.OutboxFilter{RequestID: in.ID}); len(msgs) != 0 {
		t.Fatalf("mailed %d messages for a completed workflow", len(msgs))
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTerminatedMidFanOutSaysWhatWasDone: an erasure terminated in Temporal after one subsidiary erased
// and another kept its invoices, while a third was still working and a partner had been told. The mail
// lists what the store knows was done (the erasure, the kept data and why), says other parts may have
// been done too, and names no partner; an access request stopped in fulfilment says nothing was
// changed or sent, and never "we found no data" for a system that found some.
func TestTerminatedMidFanOutSaysWhatWasDone(t *testing.T) {
	for _, tc := range []struct {
		typ        dsrflow.RequestType
		want, not  []string
		jobsAction string
	}{
		{dsrflow.Erasure, []string{"What we had done before we closed the request", "Example Billing AS", "We erased your data",
			"We kept some of your data here", "Bookkeeping Act", "Part of it had been carried out before it stopped, as listed below, and other parts may have been too"},
			[]string{"Partners who received your data", "UK Ads Ltd", "This part is not finished yet"}, "erase"},
		{dsrflow.Access, []string{"Nothing was changed in your data, and we did not send you any of it"},
			[]string{"We found no data about you", "What we had done before"}, "access"},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			s := newStore(t)
			in := intakeType(t, s, "dsr_a", "key-a", t0, tc.typ)
			must(t, s.DropPendingStart(ctx, in.ID))
			must(t, s.SetRequestStatus(ctx, in.ID, "fulfilling", t0, false))
			until := time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)
			exempt, _ := json.Marshal([]connectors.Exemption{{Dataset: "invoices", Basis: "legal_obligation", Detail: "Bookkeeping Act: 5 years", Until: &until}})
			for _, j := range []store.Job{
				{JobID: in.ID + ":crm", ConnectorID: "crm", Owner: "Example Billing AS", Role: connectors.RoleSubsidiary, Status: "completed", Counts: map[string]int{"erased": 2}},
				{JobID: in.ID + ":billing", ConnectorID: "billing", Owner: "Example Shop AS", Role: connectors.RoleSubsidiary, Status: "exempt", Exemptions: exempt},
				{JobID: in.ID + ":webinars", ConnectorID: "webinars", Owner: "Example Events AS", Role: connectors.RoleSubsidiary, Status: "accepted"},
				{JobID: in.ID + ":ads", ConnectorID: "ads", Owner: "UK Ads Ltd", Role: connectors.RolePartner, Status: "completed"},
			} {
				j.RequestID, j.Action = in.ID, tc.jobsAction
				must(t, s.PutJob(ctx, j))
			}
			tf := &fakeTemporal{wf: map[string]Execution{in.ID: {Found: true, Status: enums.WORKFLOW_EXECUTION_STATUS_TERMINATED}}, closed: []string{in.ID}}
			r := &Reconciler{Store: s, Temporal: tf, Controller: controller(t), Now: func() time.Time { return t0.Add(time.Hour) }}
			if _, err := r.Recent(ctx, t0); err != nil {
				t.Fatal(err)
			}
			msgs, err := s.ListOutbox(ctx, store.OutboxFilter{RequestID: in.ID})
			must(t, err)
			if len(msgs) != 1 {
				t.Fatalf("%d mails, want 1", len(msgs))
			}
			for _, w := range tc.want {
				if !strings.Contains(msgs[0].Body, w) {
					t.Errorf("the mail does not say %q:\n%s", w, msgs[0].Body)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(msgs[0].Body, n) {
					t.Errorf("the mail says %q:\n%s", n, msgs[0].Body)
				}
			}
		})
	}
}

// intakeType records a request of typ as the front door does, with its workflow input as a pending
// start.
func intakeType(t *testing.T, s *store.Store, id, key string, at time.Time, typ dsrflow.RequestType) workflows.RequestInput {
	t.Helper()
	in := workflows.RequestInput{ID: id, Type: typ, Country: "NO", Jurisdiction: "gdpr", ReceivedAt: at, Due: at.AddDate(0, 1, 0),
		SubjectKey: key, Identity: dsrflow.Identity{Email: id + "@example.com"}, Verification: dsrflow.VerifyEmailCode}
	row := store.Request{ID: id, Type: typ, Status: dsrflow.StatusReceived, Country: "NO", Jurisdiction: "gdpr", ReceivedAt: at, DueAt: in.Due, UpdatedAt: at, SubjectKey: key}
	identity, _ := json.Marshal(in.Identity)
	input, _ := json.Marshal(in)
	if err := s.CreateRequest(ctx, row, store.RequestDetail{RequestID: id, Identity: identity}, input); err != nil {
		t.Fatal(err)
	}
	return in
}
