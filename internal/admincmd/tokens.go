package admincmd

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// newTokenCmd manages API tokens directly in the store (like migrate): the first admin token cannot
// come from an API that needs a token.
func newTokenCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "API tokens: create, list, revoke (direct store access)"}
	var role, name string
	create := &cobra.Command{
		Use:   "create --role agent|reviewer|dpo|admin --name NAME",
		Short: "create a token; it is printed once and stored only as a hash",
		Args:  cli.NoArgs,
		RunE: withStore(getenv, func(cmd *cobra.Command, st *store.Store, _ []string) error {
			if strings.TrimSpace(name) == "" {
				return dsrflow.Errorf(dsrflow.EINVALID, "--name is required")
			}
			token, id := web.NewToken()
			if err := st.CreateToken(cmd.Context(), store.Token{ID: id, Name: name, Role: role, Hash: web.TokenHash(token), CreatedAt: time.Now()}); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		}),
	}
	create.Flags().StringVar(&role, "role", "", "agent, reviewer, dpo or admin")
	create.Flags().StringVar(&name, "name", "", "who or what holds the token (shown in the audit trail)")
	list := &cobra.Command{
		Use:   "list",
		Short: "list tokens (names, roles, dates; never the tokens)",
		Args:  cli.NoArgs,
		RunE: withStore(getenv, func(cmd *cobra.Command, st *store.Store, _ []string) error {
			tokens, err := st.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tROLE\tCREATED\tREVOKED")
			for _, t := range tokens {
				revoked := ""
				if t.RevokedAt != nil {
					revoked = t.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cli.OneLine(t.Name), cli.OneLine(t.Role), t.CreatedAt.Format(time.RFC3339), revoked)
			}
			return w.Flush()
		}),
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "revoke a token at once",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(getenv, func(cmd *cobra.Command, st *store.Store, args []string) error {
			ctx := cmd.Context()
			tokens, err := st.ListTokens(ctx)
			if err != nil {
				return err
			}
			name := args[0]
			for _, t := range tokens {
				if t.ID == args[0] {
					name = t.Name
				}
			}
			if err := st.RevokeToken(ctx, args[0], time.Now()); err != nil {
				return err
			}
			// Its console sessions end with it: their records go, so a signed-in browser is out at once.
			n, err := st.RevokeSessionsOf(ctx, web.TokenPrincipal(name))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s and ended %d console session(s)\n", termSafe(name), n)
			return nil
		}),
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
