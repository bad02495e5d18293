package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

func runIntake(t *testing.T, migrated func(*testing.T) *store.Store) {
	t.Run("CreateRequest", func(t *testing.T) { testCreateRequest(t, migrated(t)) })
	t.Run("CloseOpenRequest", func(t *testing.T) { testCloseOpenRequest(t, migrated(t)) })
	t.Run("RateLimit", func(t *testing.T) { testRateLimit(t, migrated(t)) })
}

// NewIntake returns a request for CreateRequest: open, of type typ, for the subject with key key.
func NewIntake(id, typ, key string) store.Request {
	return store.Request{ID: id, Type: dsrflow.RequestType(typ), Status: "received", Country: "NO", Jurisdiction: "gdpr",
		ReceivedAt: ts, DueAt: ts.AddDate(0, 1, 0), UpdatedAt: ts, SubjectKey: key}
}

func intakeDetail(id string) store.RequestDetail {
	return store.RequestDetail{RequestID: id, Identity: []byte(`{"email":"ada@example.com"}`), Details: []byte(`{"channel":"web"}`)}
}

func testCreateRequest(t *testing.T, s *store.Store) {
	input := []byte(`{"ID":"req_a","Identity":{"Email":"ada@example.com"}}`)
	must(t, s.CreateRequest(ctx, NewIntake("req_a", "access", "key-ada"), intakeDetail("req_a"), input))
	got, err := s.GetRequest(ctx, "req_a")
	must(t, err)
	if got.Status != "received" || got.ClosedAt != nil || got.SubjectKey != "key-ada" {
		t.Fatalf("GetRequest = %+v, want an open received request with its key", got)
	}
	d, err := s.GetRequestDetail(ctx, "req_a")
	must(t, err)
	if string(d.Identity) != `{"email":"ada@example.com"}` {
		t.Fatalf("detail identity = %s", d.Identity)
	}
	p, err := s.GetPendingStart(ctx, "req_a")
	must(t, err)
	if !bytes.Equal(p.Input, input) {
		t.Fatalf("pending input = %s, want %s", p.Input, input)
	}
	// The input rests encrypted: the address is not in the table.
	var raw []byte
	must(t, s.UnsafeDB().Get(&raw, s.UnsafeDB().Rebind(`SELECT input FROM pending_starts WHERE request_id = ?`), "req_a"))
	if bytes.Contains(raw, []byte("ada@example.com")) {
		t.Fatal("pending_starts.input holds the address in clear")
	}

	// The same subject and type again: refused, naming the open request, and nothing written.
	err = s.CreateRequest(ctx, NewIntake("req_b", "access", "key-ada"), intakeDetail("req_b"), input)
	wantCode(t, err, dsrflow.ECONFLICT)
	if e, _ := err.(*dsrflow.Error); e == nil || e.Fields["existing_id"] != "req_a" || !strings.Contains(e.Message, "req_a") {
		t.Fatalf("conflict = %#v, want existing_id req_a", err)
	}
	if _, err := s.GetRequest(ctx, "req_b"); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("refused request was stored: %v", err)
	}
	if _, err := s.GetPendingStart(ctx, "req_b"); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("refused request's pending start was stored: %v", err)
	}
	// Another type, and requests without a key, are not duplicates.
	must(t, s.CreateRequest(ctx, NewIntake("req_c", "erasure", "key-ada"), intakeDetail("req_c"), input))
	must(t, s.CreateRequest(ctx, NewIntake("req_d", "access", ""), intakeDetail("req_d"), input))
	must(t, s.CreateRequest(ctx, NewIntake("req_e", "access", ""), intakeDetail("req_e"), input))

	ids, err := s.PendingStarts(ctx, ts.Add(time.Second), 0)
	must(t, err)
	if strings.Join(ids, ",") != "req_a,req_c,req_d,req_e" {
		t.Fatalf("PendingStarts = %v", ids)
	}
	if ids, _ := s.PendingStarts(ctx, ts, 0); len(ids) != 0 {
		t.Fatalf("PendingStarts before they were made = %v", ids)
	}
	must(t, s.DropPendingStart(ctx, "req_a"))
	must(t, s.DropPendingStart(ctx, "req_a"))
	if _, err := s.GetPendingStart(ctx, "req_a"); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("dropped pending start: %v", err)
	}
	wantCode(t, s.CreateRequest(ctx, NewIntake("req_f", "access", "k"), intakeDetail("req_f"), nil), dsrflow.EINVALID)

	// A closed request never blocks a new one.
	must(t, s.SetRequestStatus(ctx, "req_a", "canceled", ts.Add(time.Hour), true))
	must(t, s.CreateRequest(ctx, NewIntake("req_g", "access", "key-ada"), intakeDetail("req_g"), input))
	// Nor can a closed one be reopened beside it.
	reopen := NewIntake("req_a", "access", "key-ada")
	if err := s.PutRequest(ctx, reopen); err == nil {
		t.Fatal("reopening a request beside another open one of the same subject and type succeeded")
	}
}

func testCloseOpenRequest(t *testing.T, s *store.Store) {
	must(t, s.CreateRequest(ctx, NewIntake("req_a", "access", "k"), intakeDetail("req_a"), []byte("{}")))
	at := ts.Add(time.Hour)
	closed, err := s.CloseOpenRequest(ctx, "req_a", "aborted", at)
	must(t, err)
	if !closed {
		t.Fatal("CloseOpenRequest of an open request = false")
	}
	closed, err = s.CloseOpenRequest(ctx, "req_a", "canceled", at.Add(time.Hour))
	must(t, err)
	if closed {
		t.Fatal("CloseOpenRequest of a closed request = true")
	}
	got, err := s.GetRequest(ctx, "req_a")
	must(t, err)
	if got.Status != "aborted" || got.ClosedAt == nil || !got.ClosedAt.Equal(us(at)) {
		t.Fatalf("closed request = %+v, want aborted at %v (the first close)", got, at)
	}
	if _, err := s.GetPendingStart(ctx, "req_a"); dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("closing left the pending start: %v", err)
	}
	_, err = s.CloseOpenRequest(ctx, "req_x", "canceled", at)
	wantCode(t, err, dsrflow.ENOTFOUND)
	_, err = s.CloseOpenRequest(ctx, "req_a", "verifying", at)
	wantCode(t, err, dsrflow.EINVALID)

	// OpenRequestsAfter walks every open request by id.
	for _, id := range []string{"req_b", "req_c", "req_d"} {
		must(t, s.CreateRequest(ctx, NewIntake(id, "access", "key-"+id), intakeDetail(id), []byte("{}")))
	}
	page, err := s.OpenRequestsAfter(ctx, "", 2)
	must(t, err)
	if len(page) != 2 || page[0].ID != "req_b" || page[1].ID != "req_c" {
		t.Fatalf("first page = %+v", page)
	}
	page, err = s.OpenRequestsAfter(ctx, "req_c", 2)
	must(t, err)
	if len(page) != 1 || page[0].ID != "req_d" {
		t.Fatalf("second page = %+v", page)
	}
}

func testRateLimit(t *testing.T, s *store.Store) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 1, time.UTC)
	for want := 1; want <= 3; want++ {
		n, err := s.CountHit(ctx, "ip:a", time.Hour, now.Add(time.Duration(want)*time.Minute))
		must(t, err)
		if n != want {
			t.Fatalf("hit %d counted %d", want, n)
		}
	}
	if n, _ := s.CountHit(ctx, "ip:b", time.Hour, now); n != 1 {
		t.Fatalf("another bucket counted %d, want 1", n)
	}
	if n, _ := s.CountHit(ctx, "ip:a", time.Hour, now.Add(time.Hour)); n != 1 {
		t.Fatalf("the next window counted %d, want 1", n)
	}
	_, err := s.CountHit(ctx, "", time.Hour, now)
	wantCode(t, err, dsrflow.EINVALID)
}
