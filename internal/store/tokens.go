package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Token is an API token's record; the token itself is never stored, only its hash.
type Token struct {
	ID, Name, Role, Hash string
	CreatedAt            time.Time
	RevokedAt            *time.Time
}

// TokenRoles are the roles a token may have.
var TokenRoles = dsrflow.Roles

type tokenRow struct {
	ID        string `db:"id"`
	Name      string `db:"name"`
	Role      string `db:"role"`
	Hash      string `db:"hash"`
	CreatedAt dbTime `db:"created_at"`
	RevokedAt dbTime `db:"revoked_at"`
}

func (r tokenRow) token() Token {
	return Token{ID: r.ID, Name: r.Name, Role: r.Role, Hash: r.Hash, CreatedAt: r.CreatedAt.Time, RevokedAt: r.RevokedAt.ptr()}
}

// CreateToken stores a new token. A name already in use is ECONFLICT; an unknown role EINVALID.
func (s *Store) CreateToken(ctx context.Context, t Token) error {
	known := false
	for _, r := range TokenRoles {
		known = known || r == t.Role
	}
	if !known || t.ID == "" || t.Name == "" || t.Hash == "" {
		return dsrflow.Errorf(dsrflow.EINVALID, "a token needs an id, a name, a hash and a role (agent, reviewer, dpo or admin)")
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)`),
		t.ID, t.Name, t.Role, t.Hash, s.timeArg(t.CreatedAt)); err != nil {
		if isUniqueViolation(err) {
			return dsrflow.Errorf(dsrflow.ECONFLICT, "a token named %q exists", t.Name)
		}
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// TokenByHash finds a live token by its hash: ENOTFOUND when unknown or revoked.
func (s *Store) TokenByHash(ctx context.Context, hash string) (Token, error) {
	var r tokenRow
	err := s.db.GetContext(ctx, &r, s.rebind(`SELECT id, name, role, hash, created_at, revoked_at FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`), hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, dsrflow.Errorf(dsrflow.ENOTFOUND, "unknown token")
	}
	if err != nil {
		return Token{}, unavailable("find token", err)
	}
	return r.token(), nil
}

// ListTokens returns every token, revoked ones included, by name.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	var rows []tokenRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name, role, hash, created_at, revoked_at FROM api_tokens ORDER BY name`); err != nil {
		return nil, unavailable("list tokens", err)
	}
	out := make([]Token, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.token())
	}
	return out, nil
}

// RevokeToken revokes the token with this name or id: ENOTFOUND when there is no live one.
func (s *Store) RevokeToken(ctx context.Context, nameOrID string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE api_tokens SET revoked_at = ? WHERE (name = ? OR id = ?) AND revoked_at IS NULL`),
		s.timeArg(at), nameOrID, nameOrID)
	if err != nil {
		return unavailable("revoke token", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "no live token named %q", nameOrID)
	}
	return nil
}
