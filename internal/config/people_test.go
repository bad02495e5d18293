package config_test

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
)

// TestReviewersPeople reads the names one person votes under, and refuses a name given to two people
// (one person's vote would count as another's).
func TestReviewersPeople(t *testing.T) {
	rv, err := config.ParseReviewers([]byte("groups:\n  legal: [U01ALICE, alice, bob]\npeople:\n  alice: [U01ALICE, alice]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := rv.PersonOf("U01ALICE"), rv.PersonOf("alice"); a != b || a != "person:alice" {
		t.Errorf("alice's names are persons %q and %q, want one", a, b)
	}
	if p := rv.PersonOf("bob"); p != "bob" {
		t.Errorf("bob, listed under no person, is %q", p)
	}
	for _, bad := range []string{
		"groups:\n  legal: [a]\npeople:\n  alice: [U01, a]\n  bob: [a]\n",
		"groups:\n  legal: [a]\npeople:\n  alice: []\n",
		"groups:\n  legal: [a]\npeople: [a]\n",
	} {
		if _, err := config.ParseReviewers([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("ParseReviewers(%q) = %v, want an error naming the line", bad, err)
		}
	}
}
