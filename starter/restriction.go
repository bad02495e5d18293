package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
)

// newRestrictionCmd is `starter restriction lift ID --reason R`: an agent's or the DPO's lift of a
// fulfilled restriction. The subject is told, with the reason, before the connectors lift it (GDPR
// Art. 18(3)); a request that is not a completed restriction is a conflict (exit 3).
func newRestrictionCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "restriction", Short: "restrictions of processing (GDPR Art. 18): lift"}
	var reason string
	lift := &cobra.Command{
		Use:   "lift ID --reason R",
		Short: "lift a fulfilled restriction (agent, dpo): the subject is told with the reason before it is lifted",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			out, err := c.LiftRestriction(cmd.Context(), args[0], dsrflow.RestrictionLift{Reason: reason})
			if err != nil {
				return err
			}
			already := ""
			if out.Already {
				already = " (already asked for)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s%s\n", cli.OneLine(out.ID), cli.OneLine(out.Status), already)
			return nil
		},
	}
	lift.Flags().StringVar(&reason, "reason", "", "why the restriction ends, told to the subject before it is lifted (audited)")
	cmd.AddCommand(lift)
	return cmd
}
