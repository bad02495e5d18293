package service_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/service"
)

// TestObjectionPurposes: an objection's purposes must be the controller's (400 naming the field and
// the id); one naming a direct-marketing purpose is absolute — no code, no review (DirectMarketing) —
// and one naming only other purposes is verified and reviewed as before.
func TestObjectionPurposes(t *testing.T) {
	s := &service.Service{Key: secret.Key(strings.Repeat("k", secret.MinKeyLen)), Purposes: []dsrflow.DeclaredPurpose{
		{ID: "security"}, {ID: "marketing", DirectMarketing: true}, {ID: "profiling", DirectMarketing: true},
	}}
	_, err := s.Validate(dsrflow.NewRequest{Type: "objection", Email: "jane@example.com", Purposes: []string{"marketing", "bogus"}})
	var e *dsrflow.Error
	if dsrflow.ErrorCode(err) != dsrflow.EINVALID || !errors.As(err, &e) || !strings.Contains(e.Fields["purposes"], `"bogus"`) || strings.Contains(e.Fields["purposes"], `"marketing"`) {
		t.Fatalf("unknown purpose: %v, want EINVALID on purposes naming only the unknown id", err)
	}
	for _, tc := range []struct {
		purposes []string
		want     bool
		verify   dsrflow.Verification
	}{
		{[]string{"security", "profiling"}, true, dsrflow.VerifyNone},
		{[]string{"security"}, false, dsrflow.VerifyEmailCode},
		{nil, false, dsrflow.VerifyEmailCode},
	} {
		in, err := s.Validate(dsrflow.NewRequest{Type: "objection", Email: "jane@example.com", Purposes: tc.purposes})
		if err != nil {
			t.Fatalf("%v: %v", tc.purposes, err)
		}
		if in.DirectMarketing != tc.want || in.Verification != tc.verify {
			t.Errorf("%v: direct marketing %v, verification %s; want %v, %s", tc.purposes, in.DirectMarketing, in.Verification, tc.want, tc.verify)
		}
	}
}
