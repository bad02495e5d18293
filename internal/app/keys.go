package app

import (
	"context"
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
)

// keyCanary is what the canary holds; its value does not matter, only that it opens.
const keyCanary = "dsrflow key canary"

// CheckKeys proves the key ring opens what this deployment encrypted before: the canary sealed at the
// first start. A ring without that key stops the process with an error naming DSR_MASTER_KEYS, rather
// than letting every request fail later. On the first start it writes the canary.
func CheckKeys(ctx context.Context, st *store.Store, keys *payload.KeyRing) error {
	sealed, err := st.KeyCanary(ctx)
	if dsrflow.ErrorCode(err) == dsrflow.ENOTFOUND {
		if sealed, err = keys.Seal([]byte(keyCanary), "key-canary"); err != nil {
			return err
		}
		return st.PutKeyCanary(ctx, sealed, time.Now())
	}
	if err != nil {
		return err
	}
	if plain, err := keys.Open(sealed, "key-canary"); err != nil || string(plain) != keyCanary {
		return &config.Error{Var: "DSR_MASTER_KEYS", Problem: fmt.Sprintf("cannot open data this deployment encrypted before: %v", err)}
	}
	return nil
}
