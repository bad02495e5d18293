package admincmd

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/store"
)

// newSessionCmd lists and ends console sessions directly in the store (like token): whoever may open the
// store is the administrator. Ending a session deletes its record, so the browser holding it is signed
// out at its next click, on every front door.
func newSessionCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "session", Short: "console sessions: list, revoke (direct store access)"}
	list := &cobra.Command{
		Use:   "list",
		Short: "list live console sessions (never their cookies)",
		Args:  cli.NoArgs,
		RunE: withStore(getenv, func(cmd *cobra.Command, st *store.Store, _ []string) error {
			sessions, err := st.ListSessions(cmd.Context(), time.Now())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tPRINCIPAL\tNAME\tROLE\tSTARTED\tEXPIRES")
			for _, s := range sessions {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", termSafe(s.ID), termSafe(s.Principal), termSafe(s.Name), s.Role,
					s.CreatedAt.Format(time.RFC3339), s.ExpiresAt.Format(time.RFC3339))
			}
			return w.Flush()
		}),
	}
	var principal string
	revoke := &cobra.Command{
		Use:   "revoke ID | --principal PRINCIPAL",
		Short: "end one session, or every session of a principal (token:NAME, oidc:SUB, dev), at once",
		Args:  cobra.MaximumNArgs(1),
		RunE: withStore(getenv, func(cmd *cobra.Command, st *store.Store, args []string) error {
			switch {
			case len(args) == 1 && principal == "":
				if err := st.RevokeSession(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ended session %s\n", termSafe(args[0]))
			case len(args) == 0 && strings.TrimSpace(principal) != "":
				n, err := st.RevokeSessionsOf(cmd.Context(), strings.TrimSpace(principal))
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ended %d session(s) of %s\n", n, termSafe(principal))
			default:
				return dsrflow.Errorf(dsrflow.EINVALID, "give a session id or --principal, not both")
			}
			return nil
		}),
	}
	revoke.Flags().StringVar(&principal, "principal", "", "end every session of this principal, as `session list` shows it")
	cmd.AddCommand(list, revoke)
	return cmd
}

// termSafe drops control characters (escape sequences included) from text printed to the terminal.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
