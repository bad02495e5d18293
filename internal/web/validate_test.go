package web

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/secret"
)

func TestEmailAddressesAtIntake(t *testing.T) {
	s := &server{Deps: Deps{Key: secret.Key(strings.Repeat("k", secret.MinKeyLen))}}
	for email, ok := range map[string]bool{
		"jane.doe@example.com":            true,
		"o'brien@example.com":             true,
		"jane-doe+dsr@example.com":        true,
		`"x' OR '1'='1"@example.com`:      true,
		`"john..doe"@example.com`:         true,
		"not-an-email":                    false,
		"Jane Doe <jane.doe@example.com>": false,
		"jane@localhost":                  false,
		"x' OR '1'='1@example.com":        false,
		"":                                false,
	} {
		in, err := s.validate(NewRequest{Type: "access", Email: email})
		if ok && (err != nil || in.Identity.Email != email) {
			t.Errorf("%q refused: %v", email, err)
		}
		if !ok && err == nil {
			t.Errorf("%q accepted", email)
		}
	}
}
