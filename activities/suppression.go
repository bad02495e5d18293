package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Suppression keeps the marketing suppression list: keyed hashes of the addresses that opted out of
// marketing, objected to direct marketing or were erased, which outlive the requests' records.
type Suppression struct {
	Store *store.Store
	// Key hashes the addresses (secret.Key.SuppressionHash).
	Key secret.Key
}

// Suppress puts the request's subject on the list. A second call changes nothing (the first entry
// stays), so retries and replays are harmless.
func (a *Suppression) Suppress(ctx context.Context, in SuppressInput) error {
	if err := a.Store.AddSuppression(ctx, a.Key.SuppressionHash(in.Email), in.Reason, time.Now()); err != nil {
		return fmt.Errorf("suppress the subject of %s: %w", in.RequestID, err)
	}
	return nil
}
