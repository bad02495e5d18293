package sdk

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// accessEraser supports access and erase only.
type accessEraser struct{ accessed, erased atomic.Int32 }

func (a *accessEraser) Access(ctx context.Context, j connectors.Job) (connectors.Result, error) {
	a.accessed.Add(1)
	return connectors.Result{Status: connectors.StatusCompleted, Records: []connectors.Record{{
		Dataset: "contacts", Fields: map[string]string{"email": j.Identities.Email},
	}}}, nil
}

func (a *accessEraser) Erase(ctx context.Context, j connectors.Job) (connectors.Result, error) {
	a.erased.Add(1)
	return connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"erased": 1}}, nil
}

func actionJob(request string, action dsrflow.Action) connectors.Job {
	j := connectors.Job{
		ID: connectors.JobID(request, "crm", action), RequestID: request, Action: action,
		Identities: dsrflow.Identity{Email: "jane.doe@example.com"}, Deadline: time.Now().Add(time.Hour),
	}
	if action == dsrflow.ActionRectify {
		j.Corrections = map[string]string{"user.name": "Jane Roe"}
	}
	return j
}

func TestActionsOverHTTP(t *testing.T) {
	impl := &accessEraser{}
	h, err := Actions(impl)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Supported(), []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase}; !slices.Equal(got, want) {
		t.Fatalf("Supported() = %v, want %v", got, want)
	}
	s := New(Options{Secret: secret}, h)
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	conn := connectors.Endpoint{ID: "crm", URL: srv.URL, Secret: secret}
	var c connectors.Client
	ctx := context.Background()

	res, err := c.Submit(ctx, conn, actionJob("r1", dsrflow.ActionAccess))
	if err != nil || res.Status != connectors.StatusCompleted || len(res.Records) != 1 || res.Records[0].Fields["email"] != "jane.doe@example.com" {
		t.Fatalf("access: %+v, %v", res, err)
	}
	res, err = c.Submit(ctx, conn, actionJob("r1", dsrflow.ActionErase))
	if err != nil || res.Status != connectors.StatusCompleted || res.Counts["erased"] != 1 {
		t.Fatalf("erase: %+v, %v", res, err)
	}
	if impl.accessed.Load() != 1 || impl.erased.Load() != 1 {
		t.Fatalf("methods ran: access %d, erase %d", impl.accessed.Load(), impl.erased.Load())
	}

	for range 2 { // not stored: a resubmission gets the same answer
		_, err = c.Submit(ctx, conn, actionJob("r1", dsrflow.ActionRectify))
		var ce *connectors.CallError
		if !errors.As(err, &ce) || ce.StatusCode != http.StatusUnprocessableEntity || !ce.Permanent {
			t.Fatalf("rectify: %v, want a permanent 422", err)
		}
	}
}

func TestActionsUnsupportedIsPermanent(t *testing.T) {
	h, err := Actions(&accessEraser{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []dsrflow.Action{dsrflow.ActionRectify, dsrflow.ActionPurge, "teleport"} {
		_, err := h.HandleJob(context.Background(), actionJob("r1", a))
		if !IsPermanent(err) || !errors.Is(err, ErrNotSupported) {
			t.Errorf("%s: %v, want a permanent ErrNotSupported", a, err)
		}
	}
}

func TestActionsAsyncUnsupportedFails(t *testing.T) {
	h, err := Actions(&accessEraser{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Secret: secret, Async: true}, h)
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	conn := connectors.Endpoint{ID: "crm", URL: srv.URL, Secret: secret}
	var c connectors.Client
	j := actionJob("r1", dsrflow.ActionRectify)
	if res, err := c.Submit(context.Background(), conn, j); err != nil || res.Status != connectors.StatusAccepted {
		t.Fatalf("submit: %+v, %v", res, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := c.Poll(context.Background(), conn, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status == connectors.StatusFailed {
			break
		}
		if res.Status != connectors.StatusPending || time.Now().After(deadline) {
			t.Fatalf("poll: %+v", res)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestActionsNeedsAnAction(t *testing.T) {
	for _, impl := range []any{struct{}{}, nil, HandlerFunc(nil)} {
		if h, err := Actions(impl); err == nil || h != nil {
			t.Errorf("Actions(%T) = %v, %v; want an error", impl, h, err)
		}
	}
}

// Every action reaches its own method.
type allActions struct{ got []dsrflow.Action }

func (a *allActions) record(j connectors.Job) (connectors.Result, error) {
	a.got = append(a.got, j.Action)
	return connectors.Result{Status: connectors.StatusNotFound}, nil
}
func (a *allActions) Access(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) Erase(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) Rectify(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) Restrict(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) Object(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) OptOut(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) OptOutSale(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) WithdrawConsent(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) Notify(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}
func (a *allActions) Purge(_ context.Context, j connectors.Job) (connectors.Result, error) {
	return a.record(j)
}

func TestActionsDispatchesEachAction(t *testing.T) {
	impl := &allActions{}
	h, err := Actions(impl)
	if err != nil {
		t.Fatal(err)
	}
	all := []dsrflow.Action{
		dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict,
		dsrflow.ActionObject, dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent, dsrflow.ActionOptoutSale, dsrflow.ActionNotify,
		dsrflow.ActionPurge,
	}
	if got := h.Supported(); !slices.Equal(got, all) {
		t.Fatalf("Supported() = %v", got)
	}
	for _, a := range all {
		if _, err := h.HandleJob(context.Background(), actionJob("r1", a)); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	if !slices.Equal(impl.got, all) {
		t.Fatalf("methods called for %v", impl.got)
	}
	// Supported is a copy.
	h.Supported()[0] = "teleport"
	if h.Supported()[0] != dsrflow.ActionAccess {
		t.Fatal("Supported shares its slice")
	}
}
