package connectors

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func TestSignVerify(t *testing.T) {
	body := []byte(`{"job_id":"r1:crm:access"}`)
	signedAt := time.Unix(1_700_000_000, 0)
	ts, sig := Sign(testSecret, body, signedAt)
	if ts != "1700000000" || !strings.HasPrefix(sig, "v1=") || len(sig) != 3+64 {
		t.Fatalf("Sign = %q, %q", ts, sig)
	}
	tests := []struct {
		name   string
		secret []byte
		ts     string
		sig    string
		body   []byte
		now    time.Time
		want   error
	}{
		{"round trip", testSecret, ts, sig, body, signedAt, nil},
		{"5 minutes later", testSecret, ts, sig, body, signedAt.Add(5 * time.Minute), nil},
		{"5 minutes earlier", testSecret, ts, sig, body, signedAt.Add(-5 * time.Minute), nil},
		{"5 minutes 1 second later", testSecret, ts, sig, body, signedAt.Add(5*time.Minute + time.Second), ErrStaleTimestamp},
		{"5 minutes 1 second earlier", testSecret, ts, sig, body, signedAt.Add(-5*time.Minute - time.Second), ErrStaleTimestamp},
		{"tampered body", testSecret, ts, sig, []byte(`{"job_id":"r2:crm:access"}`), signedAt, ErrBadSignature},
		{"wrong secret", []byte("another secret of at least 32 bytes"), ts, sig, body, signedAt, ErrBadSignature},
		{"timestamp changed", testSecret, "1700000001", sig, body, signedAt, ErrBadSignature},
		{"not hex", testSecret, ts, "v1=zz", body, signedAt, ErrBadSignature},
		{"other scheme", testSecret, ts, "v0=" + sig[3:], body, signedAt, ErrBadSignature},
		{"missing signature", testSecret, ts, "", body, signedAt, ErrMissingSignature},
		{"missing timestamp", testSecret, "", sig, body, signedAt, ErrMissingSignature},
		{"bad timestamp", testSecret, "yesterday", sig, body, signedAt, ErrBadSignature},
		{"one of several signatures", testSecret, ts, "v1=" + strings.Repeat("0", 64) + ", " + sig, body, signedAt, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.secret, tt.ts, tt.sig, tt.body, tt.now); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRequireSignature(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var got string
	h := RequireSignature(testSecret, 16, func() time.Time { return now }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
	}))
	send := func(body string, sign bool, secret []byte) int {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		if sign {
			SignRequest(req, secret, []byte(body), now)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send(`{"a":1}`, true, testSecret); code != http.StatusOK || got != `{"a":1}` {
		t.Fatalf("signed: %d, body %q", code, got)
	}
	got = ""
	if code := send(`{"a":1}`, false, nil); code != http.StatusUnauthorized || got != "" {
		t.Fatalf("unsigned: %d, handler saw %q", code, got)
	}
	if code := send(`{"a":1}`, true, []byte("another secret of at least 32 bytes")); code != http.StatusUnauthorized || got != "" {
		t.Fatalf("wrong secret: %d, handler saw %q", code, got)
	}
	if code := send(`{"a":"0123456789abcdef"}`, true, testSecret); code != http.StatusRequestEntityTooLarge || got != "" {
		t.Fatalf("too large: %d, handler saw %q", code, got)
	}
}
