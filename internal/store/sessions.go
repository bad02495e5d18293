package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Session is one console sign-in. The browser holds a random secret; the store keeps its hash
// (SecretHash), so the row alone signs nobody in. Deleting the row ends the session at once.
type Session struct {
	// ID names the session in `starter session list` and `revoke`; it is not the cookie's secret.
	ID         string
	SecretHash string
	// Principal is the identity that counts (token:NAME, oidc:SUB, dev); Name is how it is shown
	// (single sign-on's preferred_username), empty when the principal says it all.
	Principal, Name, Role string
	// TokenHash is the hash of the API token signed in with (empty for single sign-on and the dev token).
	TokenHash            string
	CreatedAt, ExpiresAt time.Time
}

type sessionRow struct {
	ID         string `db:"id"`
	SecretHash string `db:"secret_hash"`
	Principal  string `db:"principal"`
	Name       string `db:"name"`
	Role       string `db:"role"`
	TokenHash  string `db:"token_hash"`
	CreatedAt  dbTime `db:"created_at"`
	ExpiresAt  dbTime `db:"expires_at"`
}

func (r sessionRow) session() Session {
	return Session{ID: r.ID, SecretHash: r.SecretHash, Principal: r.Principal, Name: r.Name, Role: r.Role,
		TokenHash: r.TokenHash, CreatedAt: r.CreatedAt.Time, ExpiresAt: r.ExpiresAt.Time}
}

const sessionColumns = `id, secret_hash, principal, name, role, token_hash, created_at, expires_at`

// CreateSession stores a new session. Missing fields or an unknown role are EINVALID; an id or secret
// already in use ECONFLICT.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	if sess.ID == "" || sess.SecretHash == "" || sess.Principal == "" || !slices.Contains(TokenRoles, sess.Role) ||
		sess.ExpiresAt.IsZero() || !sess.ExpiresAt.After(sess.CreatedAt) {
		return dsrflow.Errorf(dsrflow.EINVALID, "a session needs an id, a secret hash, a principal, a role (agent, reviewer, dpo or admin) and an expiry after its start")
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO console_sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		sess.ID, sess.SecretHash, sess.Principal, sess.Name, sess.Role, sess.TokenHash, s.timeArg(sess.CreatedAt), s.timeArg(sess.ExpiresAt))
	if isUniqueViolation(err) {
		return dsrflow.Errorf(dsrflow.ECONFLICT, "session %s exists", sess.ID)
	}
	if err != nil {
		return unavailable("create session", err)
	}
	return nil
}

// SessionBySecret finds the live session whose secret hashes to secretHash: ENOTFOUND when there is none
// or it expired before now.
func (s *Store) SessionBySecret(ctx context.Context, secretHash string, now time.Time) (Session, error) {
	var r sessionRow
	err := s.db.GetContext(ctx, &r, s.rebind(`SELECT `+sessionColumns+` FROM console_sessions WHERE secret_hash = ? AND expires_at > ?`),
		secretHash, s.timeArg(now))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "no such session")
	}
	if err != nil {
		return Session{}, unavailable("find session", err)
	}
	return r.session(), nil
}

// ListSessions returns the sessions live at now, oldest first.
func (s *Store) ListSessions(ctx context.Context, now time.Time) ([]Session, error) {
	var rows []sessionRow
	if err := s.db.SelectContext(ctx, &rows, s.rebind(`SELECT `+sessionColumns+` FROM console_sessions WHERE expires_at > ? ORDER BY created_at, id`),
		s.timeArg(now)); err != nil {
		return nil, unavailable("list sessions", err)
	}
	out := make([]Session, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.session())
	}
	return out, nil
}

// EndSession deletes the session whose secret hashes to secretHash (sign-out); none is not an error.
func (s *Store) EndSession(ctx context.Context, secretHash string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM console_sessions WHERE secret_hash = ?`), secretHash); err != nil {
		return unavailable("end session", err)
	}
	return nil
}

// RevokeSession deletes the session with this id: ENOTFOUND when there is none.
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM console_sessions WHERE id = ?`), id)
	if err != nil {
		return unavailable("revoke session", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "no session %q", id)
	}
	return nil
}

// RevokeSessionsOf deletes every session of principal and returns how many there were.
func (s *Store) RevokeSessionsOf(ctx context.Context, principal string) (int, error) {
	if principal == "" {
		return 0, dsrflow.Errorf(dsrflow.EINVALID, "name the principal whose sessions end")
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM console_sessions WHERE principal = ?`), principal)
	if err != nil {
		return 0, unavailable("revoke sessions", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SweepSessions deletes the sessions expired at now and returns how many.
func (s *Store) SweepSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM console_sessions WHERE expires_at <= ?`), s.timeArg(now))
	if err != nil {
		return 0, unavailable("sweep sessions", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
