package web

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
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

// TestQuotedLocalPartIsTheSameSubject is the attack of issue 14 (10): a quoted local part names the same
// mailbox, so it must give the same subject key (duplicates and limits count it as one), and an address
// longer than any that can be delivered is refused with a field error.
func TestQuotedLocalPartIsTheSameSubject(t *testing.T) {
	s := &server{Deps: Deps{Key: secret.Key(strings.Repeat("k", secret.MinKeyLen))}}
	plain, err := s.validate(NewRequest{Type: "access", Email: "x@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{`"x"@example.com`, `"X"@Example.COM`, ` x@EXAMPLE.com `} {
		in, err := s.validate(NewRequest{Type: "access", Email: email})
		if err != nil {
			t.Fatalf("%q refused: %v", email, err)
		}
		if in.SubjectKey != plain.SubjectKey {
			t.Errorf("%q has another subject key than x@example.com", email)
		}
	}
	if other, _ := s.validate(NewRequest{Type: "access", Email: `"x y"@example.com`}); other.SubjectKey == plain.SubjectKey {
		t.Error(`"x y"@example.com has the key of x@example.com`)
	}

	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254 characters
	if _, err := s.validate(NewRequest{Type: "access", Email: long}); err != nil {
		t.Errorf("a 254-character address refused: %v", err)
	}
	for _, email := range []string{"a" + long, strings.Repeat("a", 10_000) + "@example.com"} {
		_, err := s.validate(NewRequest{Type: "access", Email: email})
		e, _ := err.(*dsrflow.Error)
		if e == nil || e.Code != dsrflow.EINVALID || !strings.Contains(e.Fields["email"], "254") {
			t.Errorf("a %d-character address: %v, want a field error naming 254", len(email), err)
		}
	}
}
