package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/deadline"
)

// newRootCmd is starter's command tree: the API commands, and one command per dsrflow-admin command
// that hands its command line over to admin.
func newRootCmd(getenv func(string) string, admin handOver) *cobra.Command {
	root := &cobra.Command{
		Use:           "starter",
		Short:         "dsrflow's CLI for support agents and operators",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cli.UsageError{Err: err} })
	root.AddCommand(
		newDueCmd(),
		newRequestCmd(getenv),
		newShowCmd(getenv),
		newListCmd(getenv),
		newVerifyCmd(getenv),
		newResendCmd(getenv),
		newApproveCmd(getenv),
		newAssignCmd(getenv),
		newNoteCmd(getenv),
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
	)
	root.AddCommand(newHandOverCmds(admin)...)
	return root
}

func newDueCmd() *cobra.Command {
	var received, country, jurisdiction string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "due --received DATE|RFC3339 --country CC [--jurisdiction gdpr|ccpa] [--json]",
		Short: "print a request's legal due date and extended due date",
		Args:  cli.NoArgs,
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
