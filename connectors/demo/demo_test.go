package demo

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

var (
	jane   = dsrflow.Identity{Email: janeEmail}
	nobody = dsrflow.Identity{Email: "nobody@example.com"}
)

var subsidiaries = []string{"analytics", "billing", "crm", "forum", "recruiting", "webinars"}

func start(t *testing.T, dir string) *Demo {
	t.Helper()
	d, err := Start(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// endpoint is how the client reaches a demo connector.
func endpoint(c connectors.Connector) connectors.Endpoint {
	ep, _ := c.Endpoint()
	return ep
}

func newJob(conn connectors.Connector, request string, action dsrflow.Action, id dsrflow.Identity) connectors.Job {
	return connectors.Job{
		ID: connectors.JobID(request, conn.ID, action), RequestID: request, Connector: conn.ID, Action: action,
		Identities: id, Deadline: time.Now().Add(24 * time.Hour),
	}
}

// do runs a job to its final result, polling the async connectors.
func do(t *testing.T, c *connectors.Client, conn connectors.Connector, job connectors.Job) connectors.Result {
	t.Helper()
	ctx := context.Background()
	res, err := c.Submit(ctx, endpoint(conn), job)
	if err != nil {
		t.Fatalf("%s: %v", job.ID, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !res.Status.Final() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no final result", job.ID)
		}
		time.Sleep(10 * time.Millisecond)
		if res, err = c.Poll(ctx, endpoint(conn), job.ID); err != nil {
			t.Fatalf("poll %s: %v", job.ID, err)
		}
	}
	return res
}

// everywhere runs the action for the identity on every connector Select picks, by connector id; as in
// dsrflow, a subject's own request skips the processor (it acts only on a customer's instruction).
func everywhere(t *testing.T, d *Demo, request string, action dsrflow.Action, id dsrflow.Identity, edit func(*connectors.Job)) map[string]connectors.Result {
	t.Helper()
	var c connectors.Client
	out := map[string]connectors.Result{}
	for _, conn := range d.Registry().Select(action, id) {
		if conn.Role == connectors.RoleProcessor {
			continue
		}
		job := newJob(conn, request, action, id)
		if edit != nil {
			edit(&job)
		}
		out[conn.ID] = do(t, &c, conn, job)
	}
	return out
}

func ids[V any](m map[string]V) []string { return sortedKeys(m) }

func TestJaneEverywhereNobodyNowhere(t *testing.T) {
	d := start(t, t.TempDir())
	found := everywhere(t, d, "req-jane", dsrflow.ActionAccess, jane, nil)
	if !slices.Equal(ids(found), subsidiaries) {
		t.Fatalf("access reached %v, want %v", ids(found), subsidiaries)
	}
	for id, res := range found {
		if res.Status != connectors.StatusCompleted || len(res.Records) == 0 {
			t.Errorf("%s: %+v", id, res)
		}
		for _, rec := range res.Records {
			for field := range rec.Fields {
				if rec.Categories[field] == "" && field != "processing_restricted" && field != "objected" && field != "marketing_optout" {
					t.Errorf("%s: %s.%s has no category", id, rec.Dataset, field)
				}
			}
		}
	}
	none := everywhere(t, d, "req-nobody", dsrflow.ActionAccess, nobody, nil)
	if len(none) != len(subsidiaries) {
		t.Fatalf("nobody's access reached %v", ids(none))
	}
	for id, res := range none {
		if res.Status != connectors.StatusNotFound || len(res.Records) != 0 {
			t.Errorf("%s found nobody: %+v", id, res)
		}
	}
}

func TestEraseThenAccessLeavesOnlyInvoices(t *testing.T) {
	d := start(t, t.TempDir())
	erased := everywhere(t, d, "req-erase", dsrflow.ActionErase, jane, nil)
	if !slices.Equal(ids(erased), subsidiaries) {
		t.Fatalf("erase reached %v", ids(erased))
	}
	for id, res := range erased {
		if id == "billing" {
			continue
		}
		if res.Status != connectors.StatusCompleted || res.Counts["erased"] == 0 {
			t.Errorf("%s: %+v", id, res)
		}
	}
	billing := erased["billing"]
	if billing.Status != connectors.StatusExempt || len(billing.Exemptions) != 2 || billing.Counts["erased"] != 0 {
		t.Fatalf("billing erase = %+v", billing)
	}
	for _, ex := range billing.Exemptions {
		if ex.Basis != "legal_obligation" || ex.Detail != "Bookkeeping Act: 5 years after the end of the financial year" || ex.Until == nil ||
			ex.Until.Month() != time.December || ex.Until.Day() != 31 || ex.Until.Before(time.Now().AddDate(3, 0, 0)) {
			t.Errorf("exemption %+v", ex)
		}
	}

	after := everywhere(t, d, "req-access", dsrflow.ActionAccess, jane, nil)
	for id, res := range after {
		if id == "billing" {
			if res.Status != connectors.StatusCompleted || len(res.Records) != 2 {
				t.Fatalf("billing after erase: %+v", res)
			}
			for _, rec := range res.Records {
				if rec.Dataset != "invoices" {
					t.Errorf("billing kept %s", rec.Dataset)
				}
			}
			continue
		}
		if res.Status != connectors.StatusNotFound {
			t.Errorf("%s still holds jane: %+v", id, res)
		}
	}

	// Only Jane went.
	john := everywhere(t, d, "req-john", dsrflow.ActionAccess, dsrflow.Identity{Email: johnEmail}, nil)
	for _, id := range []string{"analytics", "billing", "crm", "forum"} {
		if john[id].Status != connectors.StatusCompleted {
			t.Errorf("%s lost john: %+v", id, john[id])
		}
	}

	effects, err := d.Effects()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range subsidiaries {
		want := 1
		if id == "billing" {
			want = 0 // kept everything
		}
		if got := effects[connectors.JobID("req-erase", id, dsrflow.ActionErase)]; got != want {
			t.Errorf("%s erase effects = %d, want %d", id, got, want)
		}
	}
	if effects[connectors.JobID("req-access", "crm", dsrflow.ActionAccess)] != 0 {
		t.Error("an access job logged an effect")
	}
}

func TestRectifyChangesData(t *testing.T) {
	d := start(t, t.TempDir())
	var c connectors.Client
	crm, _ := d.Registry().Get("crm")
	job := newJob(crm, "req-rect", dsrflow.ActionRectify, jane)
	job.Corrections = map[string]string{catName: "Jane Smith", catPhone: "+47 400 99 999", catEmail: "x@example.com"}
	res := do(t, &c, crm, job)
	if res.Status != connectors.StatusCompleted || res.Counts["rectified"] != 2 || res.Detail == "" {
		t.Fatalf("rectify = %+v", res)
	}
	got := do(t, &c, crm, newJob(crm, "req-after", dsrflow.ActionAccess, jane))
	contact := got.Records[0]
	if contact.Dataset != "contacts" || contact.Fields["name"] != "Jane Smith" || contact.Fields["phone"] != "+47 400 99 999" || contact.Fields["email"] != janeEmail {
		t.Fatalf("after rectify: %+v", contact)
	}
	// Found by the corrected phone too.
	if r := do(t, &c, crm, newJob(crm, "req-phone", dsrflow.ActionAccess, dsrflow.Identity{Phone: "+4740099999"})); r.Status != connectors.StatusCompleted {
		t.Fatalf("by new phone: %+v", r)
	}

	restricted := everywhere(t, d, "req-restrict", dsrflow.ActionRestrict, jane, nil)
	for id, r := range restricted {
		if r.Status != connectors.StatusCompleted || r.Counts["restricted"] != 1 {
			t.Errorf("%s restrict: %+v", id, r)
		}
	}
	got = do(t, &c, crm, newJob(crm, "req-after2", dsrflow.ActionAccess, jane))
	if got.Records[0].Fields["processing_restricted"] != "true" {
		t.Fatalf("restriction not shown: %+v", got.Records[0])
	}

	w := newJob(crm, "req-consent", dsrflow.ActionWithdrawConsent, jane)
	w.Purposes = []string{"email_marketing"}
	if r := do(t, &c, crm, w); r.Counts["withdrawn"] != 1 {
		t.Fatalf("withdraw: %+v", r)
	}
}

func TestRestartKeepsStateAndAnswers(t *testing.T) {
	dir := t.TempDir()
	d := start(t, dir)
	var c connectors.Client
	crm, _ := d.Registry().Get("crm")
	rec, _ := d.Registry().Get("recruiting")
	erase := newJob(crm, "req-1", dsrflow.ActionErase, jane)
	eraseRec := newJob(rec, "req-1", dsrflow.ActionErase, jane)
	first := do(t, &c, crm, erase)
	firstRec := do(t, &c, rec, eraseRec)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d2 := start(t, dir)
	crm2, _ := d2.Registry().Get("crm")
	rec2, _ := d2.Registry().Get("recruiting")
	if string(endpoint(crm2).Secret) != string(endpoint(crm).Secret) {
		t.Fatal("secret changed across restart")
	}
	if endpoint(crm2).URL == endpoint(crm).URL {
		t.Log("same port after restart") // allowed, not expected
	}
	again := do(t, &c, crm2, erase)
	againRec := do(t, &c, rec2, eraseRec)
	if again.Counts["erased"] != first.Counts["erased"] || again.Status != first.Status || againRec.Counts["erased"] != firstRec.Counts["erased"] {
		t.Fatalf("answers differ after restart: %+v vs %+v", again, first)
	}
	effects, err := d2.Effects()
	if err != nil {
		t.Fatal(err)
	}
	if effects[erase.ID] != 1 || effects[eraseRec.ID] != 1 {
		t.Fatalf("effects after restart: %v", effects)
	}
	if r := do(t, &c, crm2, newJob(crm2, "req-2", dsrflow.ActionAccess, jane)); r.Status != connectors.StatusNotFound {
		t.Fatalf("jane back after restart: %+v", r)
	}
}

func TestFailInjection(t *testing.T) {
	d := start(t, t.TempDir())
	var c connectors.Client
	crm, _ := d.Registry().Get("crm")
	job := newJob(crm, "req-f", dsrflow.ActionErase, jane)

	d.Fail("crm", http.StatusServiceUnavailable, 2)
	for range 2 {
		_, err := c.Submit(context.Background(), endpoint(crm), job)
		var ce *connectors.CallError
		if !errors.As(err, &ce) || ce.Permanent || ce.StatusCode != 503 || ce.RetryAfter != time.Second {
			t.Fatalf("injected 503: %#v", err)
		}
	}
	if res := do(t, &c, crm, job); res.Status != connectors.StatusCompleted {
		t.Fatalf("after recovery: %+v", res)
	}

	d.Fail("crm", http.StatusBadRequest, 1)
	_, err := c.Submit(context.Background(), endpoint(crm), newJob(crm, "req-g", dsrflow.ActionAccess, jane))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || ce.StatusCode != 400 {
		t.Fatalf("injected 400: %#v", err)
	}
	effects, _ := d.Effects()
	if effects[job.ID] != 1 {
		t.Fatalf("effects %v", effects)
	}
}

func TestPartnerNotified(t *testing.T) {
	d := start(t, t.TempDir())
	partners := d.Registry().Partners()
	if len(partners) != 1 || partners[0].ID != "adpartner" || partners[0].Owner != "Example Ad Partner Ltd" {
		t.Fatalf("partners = %+v", partners)
	}
	var c connectors.Client
	job := newJob(partners[0], "req-n", dsrflow.ActionNotify, jane)
	job.Cause = dsrflow.Erasure
	for range 2 {
		if res := do(t, &c, partners[0], job); res.Status != connectors.StatusCompleted || res.Counts["notified"] != 1 {
			t.Fatalf("notify: %+v", res)
		}
	}
	effects, _ := d.Effects()
	if effects[job.ID] != 1 {
		t.Fatalf("notification logged %d times", effects[job.ID])
	}
}

func TestUnsupportedActionIsPermanent(t *testing.T) {
	d := start(t, t.TempDir())
	var c connectors.Client
	billing, _ := d.Registry().Get("billing")
	job := newJob(billing, "req-u", dsrflow.ActionOptout, jane)
	_, err := c.Submit(context.Background(), endpoint(billing), job)
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || ce.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("optout on billing: %#v", err)
	}
}
