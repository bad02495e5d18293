package web

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/secret"
)

// FuzzValidateRequest feeds any body to the intake's decoder and validator. Whatever comes in, the
// answer is a clean EINVALID naming fields (and never quoting the address), or a request whose dates,
// type, country and identity hold what the workflow relies on. Seeds: testdata/fuzz/FuzzValidateRequest.
func FuzzValidateRequest(f *testing.F) {
	for _, body := range []string{
		`{"type":"access","email":"jane.doe@example.com"}`,
		`{"type":"erasure","email":"jane.doe@example.com","attest":"video call","country":"se"}`,
		`{"type":"rectification","email":"jane.doe@example.com","corrections":{"user.name":"Jane Roe"}}`,
		`{"type":"consent_withdrawal","email":"jane.doe@example.com","purposes":["email_marketing"],"received":"2026-01-31"}`,
		`{"type":"access","email":"jane.doe@example.com","jurisdiction":"ccpa","country":"US","received":"2026-02-01T05:00:00Z"}`,
		`{"type":"access","email":"Jane Doe <jane.doe@example.com>"}`,
		`{"type":"access","email":"\"x' OR '1'='1\"@example.com","channel":"letter"}`,
		`{"type":"access","email":42}`,
		`{"type":"access"}{"type":"erasure"}`,
	} {
		f.Add([]byte(body))
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	s := &server{Deps: Deps{Key: secret.Key(strings.Repeat("k", secret.MinKeyLen)), Now: func() time.Time { return now }}}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in NewRequest
		if err := decodeJSON(httptest.NewRequest("POST", "/api/v1/requests", bytes.NewReader(body)), &in); err != nil {
			if dsrflow.ErrorCode(err) != dsrflow.EINVALID {
				t.Fatalf("decode error %v is not EINVALID", err)
			}
			return
		}
		out, err := s.validate(in)
		if err != nil {
			var e *dsrflow.Error
			if !errors.As(err, &e) || e.Code != dsrflow.EINVALID || len(e.Fields) == 0 {
				t.Fatalf("validation error %#v: want EINVALID naming fields", err)
			}
			if addr := strings.TrimSpace(in.Email); strings.Contains(addr, "@") && strings.Contains(e.Message, addr) {
				t.Fatalf("the error quotes the address: %q", e.Message)
			}
			return
		}
		switch {
		case !out.Type.Valid():
			t.Fatalf("accepted type %q", out.Type)
		case out.Identity.Email == "" || out.Identity.Email != strings.TrimSpace(in.Email):
			t.Fatalf("identity email %q from %q", out.Identity.Email, in.Email)
		case out.ReceivedAt.After(now):
			t.Fatalf("received %v is after now", out.ReceivedAt)
		case !out.Due.After(out.ReceivedAt) || out.ExtendedDue.Before(out.Due):
			t.Fatalf("received %v, due %v, extended %v", out.ReceivedAt, out.Due, out.ExtendedDue)
		case !slices.Contains(deadline.CountriesFor(deadline.Jurisdiction(out.Jurisdiction)), out.Country):
			t.Fatalf("country %q for %q", out.Country, out.Jurisdiction)
		case (strings.TrimSpace(in.Attest) != "") != (out.Verification == dsrflow.VerifyAgentAttested):
			t.Fatalf("attest %q gave verification %q", in.Attest, out.Verification)
		case out.SubjectKey == "":
			t.Fatal("no subject key")
		}
	})
}
