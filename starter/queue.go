package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
)

// The team's queue from the command line: who handles a request, and its internal notes (API clients
// of POST /api/v1/requests/{id}/assignee and /notes).

func newAssignCmd(getenv func(string) string) *cobra.Command {
	var to string
	var me, nobody, asJSON bool
	cmd := &cobra.Command{
		Use:   "assign ID --to P | --me | --nobody",
		Short: "set who on the team handles a request (a principal id such as token:anna)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set := 0
			for _, b := range []bool{to != "", me, nobody} {
				if b {
					set++
				}
			}
			if set != 1 {
				return &dsrflow.Error{Code: dsrflow.EINVALID, Message: "give exactly one of --to, --me and --nobody",
					Fields: map[string]string{"assignee": "give exactly one of --to, --me and --nobody"}}
			}
			assignee := strings.TrimSpace(to)
			if me {
				assignee = "me"
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			out, err := c.AssignRequest(cmd.Context(), args[0], assignee)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			who := out.Assignee
			if who == "" {
				who = "nobody"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: assigned to %s\n", cli.OneLine(out.ID), cli.OneLine(who))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "the principal id to assign to")
	f.BoolVar(&me, "me", false, "assign to yourself (the token's principal)")
	f.BoolVar(&nobody, "nobody", false, "take the assignment away")
	f.BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newNoteCmd(getenv func(string) string) *cobra.Command {
	var text string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "note ID --text T",
		Short: "add the team's internal note to a request (kept encrypted; audited without its text)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(text) == "" {
				return &dsrflow.Error{Code: dsrflow.EINVALID, Message: "--text is required", Fields: map[string]string{"text": "is required"}}
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			out, err := c.AddNote(cmd.Context(), args[0], text)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: note %d added by %s\n", cli.OneLine(args[0]), out.ID, cli.OneLine(out.Author))
			return nil
		},
	}
	cmd.Flags().StringVar(&text, "text", "", "the note")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
