package admincmd

import (
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/secret"
)

// newNationalIDKeyCmd prints the key a connector needs to match on national_id: derived from
// DSR_HMAC_KEY (secret.Key.NationalIDKey), so giving it away gives no other hash dsrflow makes.
func newNationalIDKeyCmd(getenv func(string) string) *cobra.Command {
	return &cobra.Command{
		Use:   "national-id-key",
		Short: "print the key (hex) connectors hash national identity numbers with, to match on national_id",
		Long: `Prints the key dsrflow hashes national identity numbers with after an eID verification (identity
type national_id), derived from DSR_HMAC_KEY (or the dev stack's key in DSR_DATA_DIR). A connector that
matches on national_id computes hex(HMAC-SHA256(key, "national-id" 0x00 NUMBER)), NUMBER without spaces
and hyphens, in upper case, and compares. Treat the key as a secret.`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			text, err := config.LoadHMACKey(getenv)
			if err != nil {
				return err
			}
			k, err := secret.Parse(text)
			if err != nil {
				return &config.Error{Var: "DSR_HMAC_KEY", Problem: err.Error()}
			}
			fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(k.NationalIDKey()))
			return nil
		},
	}
}
