package service_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/service"
)

// TestRestrictionGround: a restriction names its ground of GDPR Art. 18(1); a missing or unknown one is
// EINVALID naming the field "ground" and listing the grounds, and another type may not carry one.
func TestRestrictionGround(t *testing.T) {
	s := &service.Service{Key: secret.Key(strings.Repeat("k", secret.MinKeyLen))}
	for _, tc := range []struct {
		typ, ground, want string
	}{
		{"restriction", "", "accuracy_contested, unlawful_processing, legal_claims, objection_pending"},
		{"restriction", "because", "accuracy_contested, unlawful_processing, legal_claims, objection_pending"},
		{"access", "legal_claims", "only a restriction"},
	} {
		_, err := s.Validate(dsrflow.NewRequest{Type: tc.typ, Email: "jane@example.com", Ground: tc.ground})
		var e *dsrflow.Error
		if !errors.As(err, &e) || e.Code != dsrflow.EINVALID || !strings.Contains(e.Fields["ground"], tc.want) {
			t.Errorf("%s with ground %q: %v, want EINVALID on ground saying %q", tc.typ, tc.ground, err, tc.want)
		}
	}
	for _, g := range dsrflow.RestrictionGrounds {
		in, err := s.Validate(dsrflow.NewRequest{Type: "restriction", Email: "jane@example.com", Ground: " " + string(g) + " "})
		if err != nil || in.RestrictionGround != string(g) {
			t.Errorf("ground %s: %v, input ground %q", g, err, in.RestrictionGround)
		}
	}
}
