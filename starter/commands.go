package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/deadline"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
)

func newRootCmd(getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "starter",
		Short:         "dsrflow's CLI for support agents and operators",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return app.UsageError{Err: err} })
	root.AddCommand(
		newServeCmd(getenv),
		newMigrateCmd(getenv),
		newAuditCmd(getenv),
		newDueCmd(),
		newRequestCmd(getenv),
		newShowCmd(getenv),
		newListCmd(getenv),
		newVerifyCmd(getenv),
		newResendCmd(getenv),
		newApproveCmd(getenv),
		newReviewsCmd(getenv),
		newDisclosureCmd(getenv),
		newReportCmd(getenv),
		newTaskCmd(getenv),
		newJobCmd(getenv),
		newReasonedCmd(getenv, "extend", "extend the deadline once, before the first due date; the subject is told the reason"),
		newReasonedCmd(getenv, "cancel", "cancel a request before fulfilment starts"),
		newRefuseCmd(getenv),
		newRoutedCmd(getenv),
		newRestrictionCmd(getenv),
		newOutboxCmd(getenv),
		newExportCmd(getenv),
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
		Args:  noArgs,
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
		Args:  noArgs,
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
		Args:  noArgs,
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

func newDueCmd() *cobra.Command {
	var received, country, jurisdiction string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "due --received DATE|RFC3339 --country CC [--jurisdiction gdpr|ccpa] [--json]",
		Short: "print a request's legal due date and extended due date",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if received == "" || country == "" {
				return dsrflow.Errorf(dsrflow.EINVALID, "--received and --country are required")
			}
			at, err := deadline.ParseReceived(received, country)
			if err != nil {
				return err
			}
			due, err := deadline.Compute(at, country, deadline.Jurisdiction(jurisdiction))
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]string{
					"due": due.Due.String(), "extended_due": due.ExtendedDue.String(),
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "due %s, extended due %s\n", due.Due, due.ExtendedDue)
			return nil
		},
	}
	cmd.Flags().StringVar(&received, "received", "", "when the request was received: YYYY-MM-DD (local date) or RFC 3339")
	cmd.Flags().StringVar(&country, "country", "", "the controller's country, ISO 3166 alpha-2 (NO, SE, DK, ...)")
	cmd.Flags().StringVar(&jurisdiction, "jurisdiction", "gdpr", "gdpr or ccpa")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"due","extended_due"} as JSON`)
	return cmd
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

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return app.UsageError{Err: errors.New(cmd.CommandPath() + ": unexpected argument " + fmt.Sprintf("%q", args[0]))}
	}
	return nil
}
