package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
)

// KeySpec returns a key ring spec (DSR_MASTER_KEYS) with one new random key under id.
func KeySpec(id string) string {
	key := make([]byte, payload.KeyLen)
	rand.Read(key)
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}

// Keys returns a key ring for spec, or one new random key ("test-1") when spec is empty.
func Keys(t testing.TB, spec string) *payload.KeyRing {
	t.Helper()
	if spec == "" {
		spec = KeySpec("test-1")
	}
	k, err := payload.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The demo persona's values, as personal data the store must never hold in clear.
const (
	secretEmail = "jane.doe@example.com"
	secretName  = "Jane Doe"
	secretPhone = "+47 912 34 567"
)

func runVault(t *testing.T, migrated func(*testing.T) *store.Store) {
	t.Run("EncryptedAtRest", func(t *testing.T) { testEncryptedAtRest(t, migrated(t)) })
	t.Run("Shred", func(t *testing.T) { testShred(t, migrated(t)) })
	t.Run("ExpiredRecords", func(t *testing.T) { testExpiredRecords(t, migrated(t)) })
	t.Run("NoKeyForUnknownRequest", func(t *testing.T) { testNoKeyForUnknownRequest(t, migrated(t)) })
}

// A write for a request that does not exist is refused and leaves no data key behind.
func testNoKeyForUnknownRequest(t *testing.T, s *store.Store) {
	ctx := context.Background()
	err := s.PutJobRecords(ctx, "req_nobody:crm:access", "req_nobody", []byte(`[{"x":1}]`))
	if dsrflow.ErrorCode(err) != dsrflow.ENOTFOUND {
		t.Fatalf("records of an unknown request: %v, want ENOTFOUND", err)
	}
	var n int
	if err := s.UnsafeDB().Get(&n, `SELECT count(*) FROM data_keys`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d data keys after a refused write, want 0", n)
	}
}

// PersonaNeedles are the demo persona's values FillRequest writes, in the forms a dump or a file may
// hold them: clear, hex (how pg_dump prints bytea) and the start of their base64.
func PersonaNeedles() map[string]string {
	out := map[string]string{}
	for what, v := range map[string]string{"email": secretEmail, "name": secretName, "phone": secretPhone} {
		out[what] = v
		out["hex of "+what] = hex.EncodeToString([]byte(v))
		out["base64 of "+what] = base64.StdEncoding.EncodeToString([]byte(v))[:12]
	}
	return out
}

// FillRequest writes every kind of personal data the store holds for request id — detail, connector
// records, export, mail, a reviewer's decision and a person's audit reason — for the demo persona.
func FillRequest(t *testing.T, s *store.Store, id string, closedAt *time.Time) {
	fillRequest(t, s, id, closedAt)
}

// fillRequest writes every kind of personal data the store holds for request id.
func fillRequest(t *testing.T, s *store.Store, id string, closedAt *time.Time) {
	t.Helper()
	must(t, s.PutRequest(ctx, store.Request{ID: id, Type: "access", Status: "fulfilling", ReceivedAt: ts, DueAt: ts.AddDate(0, 1, 0), ClosedAt: closedAt}))
	identity := []byte(`{"email":"` + secretEmail + `","name":"` + secretName + `","phone":"` + secretPhone + `"}`)
	must(t, s.PutRequestDetail(ctx, store.RequestDetail{RequestID: id, Identity: identity, Details: []byte(`{"note":"` + secretName + `"}`)}))
	must(t, s.PutJobRecords(ctx, id+":crm:access", id, []byte(`[{"email":"`+secretEmail+`","phone":"`+secretPhone+`"}]`)))
	must(t, s.PutExport(ctx, store.Export{RequestID: id, Data: []byte("zip of " + secretName + " " + secretEmail), CreatedAt: ts, ExpiresAt: ts.AddDate(0, 0, 7)}))
	_, err := s.EnqueueMessage(ctx, store.Message{ID: id + "-code", RequestID: id, Kind: "code", To: secretEmail, Subject: "Your code, " + secretName, Body: "Dear " + secretName, CreatedAt: ts})
	must(t, err)
	must(t, s.AddDecision(ctx, store.Decision{RequestID: id, Reviewer: "legal-1", Decision: "reject", Reason: secretName + " has compelling grounds", At: ts}))
	// A person's reason in the audit trail is free text too; the system's are not personal.
	_, err = s.AppendAudit(ctx, store.AuditEvent{At: ts, RequestID: id, Action: "decision_reject", Actor: "legal-1", Reason: secretName + " has compelling grounds"})
	must(t, err)
	_, err = s.AppendAudit(ctx, store.AuditEvent{At: ts, RequestID: id, Action: "request_lapsed", Actor: "system", Reason: "identity not verified within 14 days"})
	must(t, err)
}

// auditReasons returns the request's audit reasons by action.
func auditReasons(t *testing.T, s *store.Store, id string) map[string]string {
	t.Helper()
	evs, err := s.ListAudit(ctx, id)
	must(t, err)
	out := map[string]string{}
	for _, e := range evs {
		out[e.Action] = e.Reason
	}
	return out
}

// rawColumns returns every value of the personal columns as the database holds them.
func rawColumns(t *testing.T, s *store.Store) [][]byte {
	t.Helper()
	var out [][]byte
	for _, q := range []string{
		`SELECT identity FROM request_details`, `SELECT details FROM request_details`,
		`SELECT records FROM job_records`, `SELECT data FROM exports`,
		`SELECT to_addr FROM outbox`, `SELECT subject FROM outbox`, `SELECT body FROM outbox`, `SELECT sealed FROM outbox`,
		`SELECT reason FROM decisions`, `SELECT sealed_reason FROM decisions`, `SELECT reason FROM audit_events`,
	} {
		var vals [][]byte
		if err := s.UnsafeDB().Select(&vals, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, vals...)
	}
	return out
}

func testEncryptedAtRest(t *testing.T, s *store.Store) {
	fillRequest(t, s, "req_vault", nil)
	raw := rawColumns(t, s)
	for _, v := range raw {
		for _, secret := range []string{secretEmail, secretName, secretPhone, "jane", "Jane", "912 34"} {
			if bytes.Contains(v, []byte(secret)) {
				t.Fatalf("a personal column holds %q in clear", secret)
			}
		}
	}

	d, err := s.GetRequestDetail(ctx, "req_vault")
	must(t, err)
	if !strings.Contains(string(d.Identity), secretEmail) || !strings.Contains(string(d.Details), secretName) {
		t.Fatalf("detail does not read back: %s %s", d.Identity, d.Details)
	}
	recs, err := s.ListJobRecords(ctx, "req_vault")
	must(t, err)
	if !strings.Contains(string(recs["req_vault:crm:access"]), secretPhone) {
		t.Fatalf("records do not read back: %q", recs)
	}
	e, err := s.GetExport(ctx, "req_vault")
	must(t, err)
	if string(e.Data) != "zip of "+secretName+" "+secretEmail {
		t.Fatalf("export does not read back: %q", e.Data)
	}
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{To: secretEmail})
	must(t, err)
	if len(ms) != 1 || ms[0].Subject != "Your code, "+secretName || ms[0].Body != "Dear "+secretName {
		t.Fatalf("outbox by recipient = %+v", ms)
	}
	ds, err := s.ListDecisions(ctx, "req_vault")
	must(t, err)
	if len(ds) != 1 || ds[0].Reason != secretName+" has compelling grounds" {
		t.Fatalf("decisions = %+v", ds)
	}

	reasons := auditReasons(t, s, "req_vault")
	if reasons["decision_reject"] != secretName+" has compelling grounds" || reasons["request_lapsed"] != "identity not verified within 14 days" {
		t.Fatalf("audit reasons = %q", reasons)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("VerifyAudit = %+v, %v", rep, err)
	}

	// A sealed value moved to another request does not open there.
	must(t, s.PutRequest(ctx, store.Request{ID: "req_other", Type: "access", Status: "fulfilling", ReceivedAt: ts, DueAt: ts}))
	must(t, s.PutRequestDetail(ctx, store.RequestDetail{RequestID: "req_other", Identity: []byte(`{}`)}))
	if _, err := s.UnsafeDB().Exec(s.UnsafeDB().Rebind(`UPDATE request_details SET identity = (SELECT identity FROM request_details WHERE request_id = ?) WHERE request_id = ?`), "req_vault", "req_other"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRequestDetail(ctx, "req_other"); err == nil {
		t.Fatal("a sealed identity copied to another request opened there")
	}

	// Each request has a data key of its own, wrapped by the active master key.
	byKey, err := s.DataKeysByMasterKey(ctx)
	must(t, err)
	if byKey["test-1"] < 2 {
		t.Fatalf("data keys by master key = %v, want the requests' keys under test-1", byKey)
	}
}

func testShred(t *testing.T, s *store.Store) {
	closed := ts.AddDate(0, 1, 0)
	fillRequest(t, s, "req_old", &closed)
	fillRequest(t, s, "req_open", nil)
	// A second message, still pending: it can never be sent once the data is gone.
	_, err := s.EnqueueMessage(ctx, store.Message{ID: "req_old-late", RequestID: "req_old", Kind: "notice", To: secretEmail, CreatedAt: ts})
	must(t, err)
	must(t, s.MarkSent(ctx, "req_old-code", ts))

	_, err = s.ShredRequest(ctx, "req_open", ts)
	wantCode(t, err, dsrflow.ECONFLICT)
	_, err = s.ShredRequest(ctx, "req_nobody", ts)
	wantCode(t, err, dsrflow.ENOTFOUND)

	at := time.Date(2029, 4, 2, 3, 0, 0, 0, time.UTC)
	got, err := s.ShredRequest(ctx, "req_old", at)
	must(t, err)
	if !got.Equal(at) {
		t.Fatalf("shredded at %v, want %v", got, at)
	}
	again, err := s.ShredRequest(ctx, "req_old", at.AddDate(0, 0, 1))
	must(t, err)
	if !again.Equal(at) {
		t.Fatalf("second shred moved the date to %v", again)
	}

	// Every read of the request's personal data says it was destroyed, and when.
	checkGone := func(what string, err error) {
		t.Helper()
		wantCode(t, err, dsrflow.EGONE)
		msg := dsrflow.ErrorMessage(err)
		if !strings.Contains(msg, "req_old") || !strings.Contains(msg, "2029-04-02") || !strings.Contains(msg, "record-retention") {
			t.Fatalf("%s: message %q does not name the request, the date and the policy", what, msg)
		}
	}
	_, err = s.GetRequestDetail(ctx, "req_old")
	checkGone("detail", err)
	_, err = s.ListJobRecords(ctx, "req_old")
	checkGone("records", err)
	_, err = s.GetExport(ctx, "req_old")
	checkGone("export", err)
	_, err = s.ListOutbox(ctx, store.OutboxFilter{RequestID: "req_old"})
	checkGone("outbox", err)
	_, err = s.ListDecisions(ctx, "req_old")
	checkGone("decisions", err)
	checkGone("write", s.PutRequestDetail(ctx, store.RequestDetail{RequestID: "req_old", Identity: []byte("{}")}))

	// The ciphertext is still there; the key that opened it is not.
	var wrapped []byte
	if err := s.UnsafeDB().Get(&wrapped, s.UnsafeDB().Rebind(`SELECT wrapped FROM data_keys WHERE owner = ?`), "req_old"); err != nil {
		t.Fatal(err)
	}
	if wrapped != nil {
		t.Fatal("the shredded request's wrapped data key is still stored")
	}
	var n int
	must(t, s.UnsafeDB().Get(&n, s.UnsafeDB().Rebind(`SELECT count(*) FROM request_details WHERE request_id = ?`), "req_old"))
	if n != 1 {
		t.Fatalf("request_details rows = %d", n)
	}

	// Other requests are untouched; the unfiltered outbox marks the shredded request's sent-or-not mail.
	if _, err := s.GetRequestDetail(ctx, "req_open"); err != nil {
		t.Fatalf("the open request's detail: %v", err)
	}
	all, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, err)
	var ids []string
	for _, m := range all {
		ids = append(ids, m.ID)
		if m.RequestID == "req_old" && (m.ShreddedAt == nil || m.To != "" || m.Body != "") {
			t.Fatalf("shredded message = %+v", m)
		}
		if m.RequestID == "req_open" && (m.ShreddedAt != nil || m.To != secretEmail) {
			t.Fatalf("live message = %+v", m)
		}
	}
	// Pending mail of the shredded request is gone; the claimer never meets it.
	if strings.Join(ids, ",") != "req_old-code,req_open-code" {
		t.Fatalf("outbox = %v", ids)
	}
	// A message queued while the request was being shredded is dropped by the claimer, not sent.
	if _, err := s.UnsafeDB().Exec(s.UnsafeDB().Rebind(`INSERT INTO outbox (id, request_id, kind, to_addr, subject, body, sealed, created_at) SELECT 'req_old-race', request_id, kind, '', '', '', sealed, created_at FROM outbox WHERE id = ?`), "req_old-code"); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimOutbox(ctx, ts.AddDate(1, 0, 0), time.Minute, 0)
	must(t, err)
	for _, m := range claimed {
		if m.RequestID == "req_old" {
			t.Fatalf("claimed a message of the shredded request: %s", m.ID)
		}
	}
	if len(claimed) != 1 || claimed[0].ID != "req_open-code" {
		t.Fatalf("claimed %+v, want the open request's message only", claimed)
	}
	must(t, s.UnsafeDB().Get(&n, `SELECT count(*) FROM outbox WHERE id = 'req_old-race'`))
	if n != 0 {
		t.Fatal("the claimer kept a message of the shredded request")
	}
	// The audit trail stays and still verifies; the person's reason is gone, the system's is not.
	if reasons := auditReasons(t, s, "req_old"); reasons["decision_reject"] != "" || reasons["request_lapsed"] != "identity not verified within 14 days" {
		t.Fatalf("audit reasons after shredding = %q", reasons)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("VerifyAudit after shredding = %+v, %v", rep, err)
	}
	// The index stays.
	r, err := s.GetRequest(ctx, "req_old")
	must(t, err)
	if r.ClosedAt == nil {
		t.Fatal("index row lost its closure")
	}
	sa, err := s.ShreddedAt(ctx, "req_old")
	must(t, err)
	if sa == nil || !sa.Equal(at) {
		t.Fatalf("ShreddedAt = %v", sa)
	}
}

func testExpiredRecords(t *testing.T, s *store.Store) {
	c1, c2, c3 := ts.AddDate(-4, 0, 0), ts.AddDate(-3, 0, -1), ts.AddDate(-1, 0, 0)
	fillRequest(t, s, "req_c1", &c1)
	fillRequest(t, s, "req_c2", &c2)
	fillRequest(t, s, "req_c3", &c3)
	fillRequest(t, s, "req_open", nil)
	// A closed request that never stored personal data is listed too: shredding it records the date.
	must(t, s.PutRequest(ctx, store.Request{ID: "req_bare", Type: "marketing_optout", Status: "completed", ReceivedAt: c1, DueAt: c1, ClosedAt: &c1}))

	cutoff := ts.AddDate(-3, 0, 0)
	ids := func() string {
		t.Helper()
		rs, err := s.ExpiredRecords(ctx, cutoff, 0)
		must(t, err)
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	if got := ids(); got != "req_bare,req_c1,req_c2" {
		t.Fatalf("expired = %s, want req_bare, req_c1 (same closure, by id) then req_c2", got)
	}
	_, err := s.ShredRequest(ctx, "req_c1", ts)
	must(t, err)
	_, err = s.ShredRequest(ctx, "req_bare", ts)
	must(t, err)
	if got := ids(); got != "req_c2" {
		t.Fatalf("expired after shredding = %s, want req_c2", got)
	}
	rs, err := s.ExpiredRecords(ctx, ts, 1)
	must(t, err)
	if len(rs) != 1 || rs[0].ID != "req_c2" {
		t.Fatalf("limit 1 = %+v", rs)
	}
}
