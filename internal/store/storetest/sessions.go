package storetest

import (
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
)

// testSessions: a session is found by its secret's hash until it expires or is deleted; sign-out,
// revocation by id and by principal, and the sweep each remove exactly the rows they name.
func testSessions(t *testing.T, s *store.Store) {
	at := us(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	sess := func(id, principal string, ttl time.Duration) store.Session {
		return store.Session{ID: id, SecretHash: "h-" + id, Principal: principal, Role: "agent", CreatedAt: at, ExpiresAt: at.Add(ttl)}
	}
	anna := sess("ses_1", "oidc:u-1", 8*time.Hour)
	anna.Name = "anna"
	must(t, s.CreateSession(ctx, anna))
	bob := sess("ses_2", "token:bob", 8*time.Hour)
	bob.TokenHash, bob.Role = "th", "reviewer"
	must(t, s.CreateSession(ctx, bob))
	must(t, s.CreateSession(ctx, sess("ses_3", "token:bob", 8*time.Hour)))
	must(t, s.CreateSession(ctx, sess("ses_4", "dev", time.Hour)))
	wantCode(t, s.CreateSession(ctx, sess("ses_1", "dev", time.Hour)), dsrflow.ECONFLICT)
	for _, bad := range []store.Session{
		{ID: "x", SecretHash: "hx", Principal: "dev", Role: "root", CreatedAt: at, ExpiresAt: at.Add(time.Hour)},
		{ID: "x", SecretHash: "hx", Principal: "", Role: "agent", CreatedAt: at, ExpiresAt: at.Add(time.Hour)},
		{ID: "x", SecretHash: "", Principal: "dev", Role: "agent", CreatedAt: at, ExpiresAt: at.Add(time.Hour)},
		{ID: "x", SecretHash: "hx", Principal: "dev", Role: "agent", CreatedAt: at, ExpiresAt: at},
	} {
		wantCode(t, s.CreateSession(ctx, bad), dsrflow.EINVALID)
	}

	got, err := s.SessionBySecret(ctx, "h-ses_2", at.Add(time.Minute))
	must(t, err)
	if got.ID != "ses_2" || got.Principal != "token:bob" || got.Role != "reviewer" || got.TokenHash != "th" ||
		!got.CreatedAt.Equal(at) || !got.ExpiresAt.Equal(at.Add(8*time.Hour)) || got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("session = %+v", got)
	}
	if got, err := s.SessionBySecret(ctx, "h-ses_1", at); err != nil || got.Name != "anna" {
		t.Fatalf("session with a name = %+v, %v", got, err)
	}
	_, err = s.SessionBySecret(ctx, "ses_2", at) // the id is not the secret
	wantCode(t, err, dsrflow.ENOTFOUND)
	// Expired: refused at its expiry, before any sweep.
	_, err = s.SessionBySecret(ctx, "h-ses_4", at.Add(time.Hour))
	wantCode(t, err, dsrflow.ENOTFOUND)

	// Sign-out ends that session only.
	must(t, s.EndSession(ctx, "h-ses_3"))
	must(t, s.EndSession(ctx, "h-ses_3"))
	_, err = s.SessionBySecret(ctx, "h-ses_3", at)
	wantCode(t, err, dsrflow.ENOTFOUND)
	if _, err := s.SessionBySecret(ctx, "h-ses_2", at); err != nil {
		t.Fatalf("sign-out of one session ended another of the same principal: %v", err)
	}

	list, err := s.ListSessions(ctx, at.Add(2*time.Hour))
	must(t, err)
	if len(list) != 2 || list[0].ID != "ses_1" || list[1].ID != "ses_2" {
		t.Fatalf("live sessions = %+v", list)
	}
	// The sweep removes the expired row (ses_4), nothing live.
	n, err := s.SweepSessions(ctx, at.Add(2*time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("swept %d sessions, want 1", n)
	}
	if list, _ := s.ListSessions(ctx, at); len(list) != 2 {
		t.Fatalf("after the sweep: %+v", list)
	}

	must(t, s.CreateSession(ctx, sess("ses_5", "token:bob", 8*time.Hour)))
	n, err = s.RevokeSessionsOf(ctx, "token:bob")
	must(t, err)
	if n != 2 {
		t.Fatalf("revoked %d sessions of token:bob, want 2", n)
	}
	_, err = s.RevokeSessionsOf(ctx, "")
	wantCode(t, err, dsrflow.EINVALID)
	must(t, s.RevokeSession(ctx, "ses_1"))
	wantCode(t, s.RevokeSession(ctx, "ses_1"), dsrflow.ENOTFOUND)
	if list, _ := s.ListSessions(ctx, at); len(list) != 0 {
		t.Fatalf("after revoking all: %+v", list)
	}
}
