package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
)

// newRoutedCmd is `starter routed list|show|instruct` (issue 22): the routed items of requests, each a
// customer tenant of a processor system holding the subject, waiting for the customer's instruction.
func newRoutedCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "routed", Short: "requests routed to the business customers controlling data the group holds as a processor"}
	var request string
	var asJSON bool
	list := &cobra.Command{
		Use: "list [--request ID]", Short: "list routed items, of one request or all", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			items, err := c.ListRouted(cmd.Context(), request)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), items)
			}
			for _, it := range items {
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\tdue %s\n", cli.OneLine(it.ID), cli.OneLine(it.Customer), cli.OneLine(string(it.State)), it.DueAt.Format("2006-01-02"))
			}
			return nil
		},
	}
	list.Flags().StringVar(&request, "request", "", "only this request's items")
	list.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	show := &cobra.Command{
		Use: "show ID", Short: "show one routed item as JSON", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			requestID, _, _ := strings.Cut(args[0], ":")
			items, err := c.ListRouted(cmd.Context(), requestID)
			if err != nil {
				return err
			}
			for _, it := range items {
				if it.ID == args[0] {
					return printJSON(cmd.OutOrStdout(), it)
				}
			}
			return dsrflow.Errorf(dsrflow.ENOTFOUND, "no routed item %s", args[0])
		},
	}
	var in dsrflow.RoutedInstructionInput
	var action string
	var corrections []string
	instruct := &cobra.Command{
		Use:   "instruct ID --instruction execute|decline|handled [--action A] [--correct CATEGORY=VALUE]... [--reason R]",
		Short: "record the customer's instruction (agent, dpo): execute runs the action in its tenant only",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			in.Action = dsrflow.Action(action)
			if in.Corrections, err = pairs("--correct", corrections); err != nil {
				return err
			}
			it, err := c.InstructRouted(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: instruction %s sent (was %s)\n", cli.OneLine(it.ID), cli.OneLine(in.Instruction), cli.OneLine(string(it.State)))
			return nil
		},
	}
	instruct.Flags().StringVar(&in.Instruction, "instruction", "", "execute, decline or handled")
	instruct.Flags().StringVar(&action, "action", "", "with execute: access, erase, rectify or restrict")
	instruct.Flags().StringArrayVar(&corrections, "correct", nil, "with execute rectify: CATEGORY=VALUE, the customer's correction (repeatable)")
	instruct.Flags().StringVar(&in.Reason, "reason", "", "with decline: the customer's reason")
	cmd.AddCommand(list, show, instruct)
	return cmd
}
