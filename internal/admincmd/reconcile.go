package admincmd

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/reconcile"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/temporalx"
)

func newReconcileCmd(getenv func(string) string) *cobra.Command {
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "reconcile [--dry-run] [--json]",
		Short: "repair now what the worker's reconciler repairs every minute: start recorded requests whose workflow never started, close open requests whose workflow ended in Temporal; one line per fix",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			loc, err := config.LoadStoreLocation(getenv)
			if err != nil {
				return err
			}
			keys, err := reconcileKeys(getenv, loc)
			if err != nil {
				return err
			}
			controller, err := app.LoadController(strings.TrimSpace(getenv("DSR_CONTROLLER")), strings.TrimSpace(getenv("DSR_RECORD_RETENTION")))
			if err != nil {
				return err
			}
			tcfg, err := loadAdminTemporal(getenv)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), loc, store.WithKeys(keys))
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CheckSchema(cmd.Context()); err != nil {
				return err
			}
			c, err := temporalx.Dial(cmd.Context(), tcfg, slog.New(slog.DiscardHandler), temporalx.WithEncryption(keys))
			if err != nil {
				return dialFailed(tcfg.Address, err)
			}
			defer c.Close()
			r := &reconcile.Reconciler{Store: st, Temporal: reconcile.Client{Client: c}, Controller: controller, DryRun: dryRun}
			fixes, err := r.All(cmd.Context())
			out := cmd.OutOrStdout()
			if asJSON {
				if fixes == nil {
					fixes = []reconcile.Fix{}
				}
				if jerr := json.NewEncoder(out).Encode(fixes); jerr != nil {
					return jerr
				}
			} else {
				for _, f := range fixes {
					fmt.Fprintln(out, f)
				}
				if len(fixes) == 0 && err == nil {
					fmt.Fprintln(out, "nothing to repair: every open request has a running workflow")
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would be repaired; change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the fixes as a JSON list")
	return cmd
}

// reconcileKeys is the master key ring: DSR_MASTER_KEYS, or the dev stack's beside its store. The
// reconciler reads the requests' stored inputs and starts workflows with encrypted payloads: it needs it.
func reconcileKeys(getenv func(string) string, loc config.StoreLocation) (*payload.KeyRing, error) {
	spec, err := config.LoadMasterKeys(getenv)
	if err != nil {
		return nil, err
	}
	if spec != "" {
		keys, err := payload.ParseKeyRing(spec)
		if err != nil {
			return nil, &config.Error{Var: "DSR_MASTER_KEYS", Problem: err.Error()}
		}
		return keys, nil
	}
	if loc.SQLitePath != "" {
		path := filepath.Join(filepath.Dir(loc.SQLitePath), "master-keys")
		if _, err := os.Stat(path); err == nil {
			return payload.LoadOrCreateKeyRing(path)
		}
	}
	return nil, &config.Error{Var: "DSR_MASTER_KEYS", Problem: "must be set: the reconciler reads the requests' stored inputs and starts their workflows"}
}
