package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// RequestAgent is the authorized agent who submitted a request for its subject (migration 0021). Name
// and Email are personal data: they rest sealed under the request's data key and never go into errors
// or logs. PermissionSHA256 is the hex SHA-256 of the permission the consumer signed.
type RequestAgent struct {
	RequestID        string
	Name, Email      string
	PermissionSHA256 string
}

type sealedAgent struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

const agentPlace = "request_agents.sealed"

// putAgent writes the request's agent in tx, sealed under k.
func (s *Store) putAgent(ctx context.Context, tx *sqlx.Tx, k dataKey, a RequestAgent) error {
	plain, err := json.Marshal(sealedAgent{Name: a.Name, Email: a.Email})
	if err != nil {
		return err
	}
	sealed, err := k.seal(agentPlace, plain)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO request_agents (request_id, permission_sha256, sealed) VALUES (?, ?, ?)`),
		a.RequestID, a.PermissionSHA256, sealed)
	return err
}

// GetRequestAgent returns the agent who submitted the request: ENOTFOUND when the subject asked
// directly, EGONE once the request's personal data was shredded.
func (s *Store) GetRequestAgent(ctx context.Context, requestID string) (RequestAgent, error) {
	var row struct {
		Hash   string `db:"permission_sha256"`
		Sealed []byte `db:"sealed"`
	}
	err := s.db.GetContext(ctx, &row, s.rebind(`SELECT permission_sha256, sealed FROM request_agents WHERE request_id = ?`), requestID)
	if err != nil {
		return RequestAgent{}, notFound(err, "get agent of request "+requestID, "request %s has no agent", requestID)
	}
	k, err := s.readKey(ctx, s.db, requestID)
	if err != nil {
		return RequestAgent{}, err
	}
	plain, err := k.open(agentPlace, row.Sealed)
	if err != nil {
		return RequestAgent{}, err
	}
	var a sealedAgent
	if err := json.Unmarshal(plain, &a); err != nil {
		return RequestAgent{}, fmt.Errorf("agent of request %s: %w", requestID, err)
	}
	return RequestAgent{RequestID: requestID, Name: a.Name, Email: a.Email, PermissionSHA256: row.Hash}, nil
}
