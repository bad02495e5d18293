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
	// Principals in their spaces: a Slack click's bare id or slack:ID, an API token's token:NAME.
	for _, name := range []string{"U01ALICE", "slack:U01ALICE", "token:alice"} {
		if p := rv.PersonOf(name); p != "person:alice" {
			t.Errorf("alice's name %q is person %q, want person:alice", name, p)
		}
	}
	if p := rv.PersonOf("oidc:alice"); p != "oidc:alice" {
		t.Errorf("a single sign-on subject named like alice's token is %q: spaces must not mix", p)
	}
	if p := rv.PersonOf("token:bob"); p != "token:bob" {
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
