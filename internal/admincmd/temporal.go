package admincmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/temporalx"
)

// newTemporalCmd sets up and checks dsrflow's Temporal namespace: an administrator's step, apart from the
// workers, whose credentials need no operator rights.
func newTemporalCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "temporal", Short: "set up and check dsrflow's Temporal namespace (direct Temporal access)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "setup",
		Short: "register dsrflow's search attributes and the retention schedule in the namespace (idempotent)",
		Long: "setup registers dsrflow's search attributes and creates the daily retention sweep's schedule in the\n" +
			"namespace (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY), leaving what is there\n" +
			"as it is, and prints each change. It needs credentials allowed to change the namespace; workers only check.",
		Args: cli.NoArgs,
		RunE: withTemporal(getenv, func(cmd *cobra.Command, c client.Client, cfg config.Temporal) error {
			changes, err := app.SetupTemporal(cmd.Context(), c, cfg.Namespace)
			for _, ch := range changes {
				fmt.Fprintln(cmd.OutOrStdout(), ch)
			}
			if err != nil {
				return err
			}
			if len(changes) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "nothing to change: namespace %s has dsrflow's search attributes and the retention schedule\n", cfg.Namespace)
			}
			return nil
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "check, changing nothing, that the namespace is set up as a worker needs it",
		Args:  cli.NoArgs,
		RunE: withTemporal(getenv, func(cmd *cobra.Command, c client.Client, cfg config.Temporal) error {
			if err := app.CheckTemporal(cmd.Context(), c, cfg.Namespace); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "namespace %s is set up for dsrflow\n", cfg.Namespace)
			return nil
		}),
	})
	return cmd
}

// withTemporal dials Temporal as the worker does (TEMPORAL_*, or the dev stack's DSR_TEMPORAL_ADDR).
func withTemporal(getenv func(string) string, run func(cmd *cobra.Command, c client.Client, cfg config.Temporal) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := loadAdminTemporal(getenv)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
		defer cancel()
		c, err := temporalx.Dial(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			return dialFailed(cfg.Address, err)
		}
		defer c.Close()
		cmd.SetContext(ctx)
		return run(cmd, c, cfg)
	}
}

// dialFailed is the error of a dial of Temporal at addr that failed: a settings error as it is, a refusal
// of the credentials (the server answered, and said no) as EFORBIDDEN, anything else as EUNAVAILABLE.
// temporalx.Dial's error already ends with the setting to check.
func dialFailed(addr string, err error) error {
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		return err
	}
	if temporalx.Refused(err) {
		return dsrflow.Errorf(dsrflow.EFORBIDDEN, "Temporal at %s refused the credentials: %v", addr, err)
	}
	return dsrflow.Errorf(dsrflow.EUNAVAILABLE, "cannot reach Temporal at %s: %v", addr, err)
}
