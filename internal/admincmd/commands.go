// Package admincmd is dsrflow-admin's commands: those that link the store, the Temporal SDK, the front
// door, the connector kinds or the demo group (`serve`, `migrate`, `audit verify`, `token`, `session`,
// `connector`, `retention`, `temporal`, `reconcile`, `demo`). starter, the API CLI, does not link them
// and hands these commands over to the dsrflow-admin program; only starter/dsrflow-admin imports this.
package admincmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
)

// Main runs dsrflow-admin with args (without the program's name) and returns its exit status.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := Run(ctx, args, getenv, stdout, stderr)
	return cli.ExitCode(err, cli.NewTerminalWriter(stderr))
}

// Run runs one dsrflow-admin command. Everything printed may hold text from others (reasons, names,
// details): it passes the terminal writer.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := NewRootCmd(getenv)
	cmd.SetArgs(args)
	cmd.SetOut(cli.NewTerminalWriter(stdout))
	cmd.SetErr(cli.NewTerminalWriter(stderr))
	return cmd.ExecuteContext(ctx)
}

// NewRootCmd is dsrflow-admin's command tree: the commands that need the store, Temporal, the front
// door, the connector kinds or the demo group. starter hands these over to dsrflow-admin by name.
func NewRootCmd(getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "dsrflow-admin",
		Short:         "dsrflow's server and operator commands (store, Temporal, front door); starter hands them over here",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.UsageError{Err: err} })
	root.AddCommand(
		newServeCmd(getenv),
		newMigrateCmd(getenv),
		newAuditCmd(getenv),
		newTokenCmd(getenv),
		newSessionCmd(getenv),
		newConnectorCmd(getenv),
		newRetentionCmd(getenv),
		newTemporalCmd(getenv),
		newReconcileCmd(getenv),
		newDemoCmd(getenv),
	)
	return root
}

func newServeCmd(getenv func(string) string) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "run the front door (HTTP) against Temporal and PostgreSQL",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.LoadServe(getenv)
			if err != nil {
				return err
			}
			logger := app.NewLogger(cmd.ErrOrStderr(), cfg.LogLevel, true)
			fd, err := app.StartFrontDoor(cmd.Context(), cfg, getenv, logger)
			if err != nil {
				return err
			}
			logger.Info("front door started", "url", fd.URL())
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return fd.Close(ctx)
		},
	}
}

func newMigrateCmd(getenv func(string) string) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "apply the store's migrations to DATABASE_URL (safe to run concurrently)",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			url, err := config.LoadDatabaseURL(getenv)
			if err != nil {
				return err
			}
			opts, err := storeKeys(getenv)
			if err != nil {
				return err
			}
			st, err := store.OpenPostgres(cmd.Context(), url, opts...)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Migrate(cmd.Context()); err != nil {
				return err
			}
			applied, err := st.Migrations(cmd.Context())
			if err != nil {
				return err
			}
			version := 0
			if len(applied) > 0 {
				version = applied[len(applied)-1].Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "store schema at version %d\n", version)
			return nil
		},
	}
}

func newAuditCmd(getenv func(string) string) *cobra.Command {
	audit := &cobra.Command{Use: "audit", Short: "the tamper-evident audit log"}
	audit.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "walk the audit hash chain; exit 0 when it holds, 1 naming the first broken sequence number",
		Args:  cli.NoArgs,
		RunE: withStore(getenv, func(cmd *cobra.Command, st *store.Store, _ []string) error {
			report, err := st.VerifyAudit(cmd.Context())
			if err != nil {
				return err
			}
			if !report.OK {
				return fmt.Errorf("audit chain broken at sequence %d: %s (%d events checked)", report.FirstBroken, report.Problem, report.Checked)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit chain holds: %d events\n", report.Checked)
			return nil
		}),
	})
	return audit
}

// withStore runs a command against the store directly (DATABASE_URL, or the dev store), for the
// operations that cannot go through the front door: verifying the audit chain, minting the first token.
func withStore(getenv func(string) string, run func(cmd *cobra.Command, st *store.Store, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		loc, err := config.LoadStoreLocation(getenv)
		if err != nil {
			return err
		}
		opts, err := storeKeys(getenv)
		if err != nil {
			return err
		}
		st, err := openStore(cmd.Context(), loc, opts...)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.CheckSchema(cmd.Context()); err != nil {
			return err
		}
		return run(cmd, st, args)
	}
}

func openStore(ctx context.Context, loc config.StoreLocation, opts ...store.Option) (*store.Store, error) {
	if loc.PostgresURL != "" {
		return store.OpenPostgres(ctx, loc.PostgresURL, opts...)
	}
	return store.OpenSQLite(ctx, loc.SQLitePath, opts...)
}

// storeKeys opens the store with DSR_MASTER_KEYS when it is set: migration 0006 needs them to encrypt
// the personal data an older version stored, and refuses without them. The direct store commands that
// touch no personal data (audit, tokens) work without.
func storeKeys(getenv func(string) string) ([]store.Option, error) {
	spec, err := config.LoadMasterKeys(getenv)
	if err != nil || spec == "" {
		return nil, err
	}
	keys, err := payload.ParseKeyRing(spec)
	if err != nil {
		return nil, &config.Error{Var: "DSR_MASTER_KEYS", Problem: err.Error()}
	}
	return []store.Option{store.WithKeys(keys)}, nil
}
