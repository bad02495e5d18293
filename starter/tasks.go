package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/cli"
)

func newTaskCmd(getenv func(string) string) *cobra.Command {
	task := &cobra.Command{Use: "task", Short: "manual connectors' tasks: what a team must do by hand, and its answer"}
	var asJSON bool
	show := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "show a task with the subject's identity (agents)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			v, err := c.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "%s\t%s\t%s (%s)\t%s\tdue %s\n", cli.OneLine(v.ID), cli.OneLine(string(v.Action)), cli.OneLine(v.Connector), cli.OneLine(v.Owner), cli.OneLine(v.Status), v.Due.Format("2006-01-02"))
			if v.Kind == taskIdentityConflict {
				fmt.Fprintf(w, "  identity conflict\tjob %s: starter job resolve %s %s --confirm-identifiers --reason R | --drop-identifiers\n", cli.OneLine(v.JobID), cli.OneLine(v.RequestID), cli.OneLine(v.JobID))
			}
			fmt.Fprintf(w, "  instructions\t%s\n", cli.OneLine(v.Instructions))
			// Only verified identifiers select records; an unverified one may only confirm them.
			mark := func(typ string) string {
				if slices.Contains(v.Unverified, typ) {
					return "\tnot verified"
				}
				return "\tverified"
			}
			for _, typ := range v.Identity.Types() {
				system, isID := strings.CutPrefix(typ, dsrflow.IdentityCustomerID+":")
				switch {
				case isID:
					fmt.Fprintf(w, "  customer id\t%s=%s%s\n", cli.OneLine(system), cli.OneLine(v.Identity.CustomerIDs[system]), mark(typ))
				default:
					fmt.Fprintf(w, "  %s\t%s%s\n", typ, cli.OneLine(connectors.IdentityValue(v.Identity, typ)), mark(typ))
				}
			}
			if len(v.Categories) > 0 {
				fmt.Fprintf(w, "  categories\t%s\n", cli.OneLine(strings.Join(v.Categories, ", ")))
			}
			if v.By != "" {
				fmt.Fprintf(w, "  answered\t%s by %s\t%s\n", cli.OneLine(v.Status), cli.OneLine(v.By), cli.OneLine(v.Reason))
			}
			return w.Flush()
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	task.AddCommand(show)
	for _, o := range []struct {
		use     string
		outcome dsrflow.VoteAction
		short   string
	}{
		{"done", dsrflow.VoteDone, "the team did the job"},
		{"nothing-found", dsrflow.VoteNothingFound, "the team found nothing about the subject"},
		{"cannot", dsrflow.VoteCannot, "the team cannot do the job (--reason required)"},
	} {
		var reason, records string
		cmd := newTaskOutcomeCmd(getenv, o.use, o.short, o.outcome, &reason, &records)
		cmd.Flags().StringVar(&reason, "reason", "", "why (required for cannot)")
		if o.outcome == dsrflow.VoteDone {
			cmd.Use += " [--records FILE]"
			cmd.Flags().StringVar(&records, "records", "", `the records found, for an access task: a JSON file ("-": standard input) holding a list like [{"dataset":"letters","fields":{"sender":"..."},"categories":{"sender":"user.name"}}]`)
		}
		task.AddCommand(cmd)
	}
	return task
}

func newTaskOutcomeCmd(getenv func(string) string, use, short string, outcome dsrflow.VoteAction, reason, records *string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " ID [--reason R]",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if outcome.NeedsReason() && strings.TrimSpace(*reason) == "" {
				return dsrflow.Errorf(dsrflow.EINVALID, "--reason is required")
			}
			answer := dsrflow.TaskAnswer{Outcome: string(outcome), Reason: *reason}
			if *records != "" {
				recs, err := readTaskRecords(cmd.InOrStdin(), *records)
				if err != nil {
					return err
				}
				answer.Records = recs
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			out, err := c.AnswerTask(cmd.Context(), args[0], answer)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", cli.OneLine(args[0]), cli.OneLine(out.State))
			return nil
		},
	}
}

// taskIdentityConflict is the workflows' TaskIdentityConflict: the kind of task a job that ended
// identity_conflict is (TestStarterWireNamesMatchTheWorkflows holds it equal).
const taskIdentityConflict = "identity_conflict"

// maxRecordsFile bounds the --records file read: the front door takes at most 1 MiB of answer.
const maxRecordsFile = 1 << 20

// readTaskRecords reads --records FILE ("-": stdin): a JSON list of records in protocol v1's shape.
func readTaskRecords(stdin io.Reader, file string) ([]dsrflow.TaskRecord, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, dsrflow.Errorf(dsrflow.EINVALID, "--records: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxRecordsFile+1))
	if err != nil {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "--records: %v", err)
	}
	if len(data) > maxRecordsFile {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "--records: the file is larger than 1 MiB")
	}
	var recs []dsrflow.TaskRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&recs); err != nil {
		// The decoder's message may quote the file's text, which is personal data: say only where.
		return nil, dsrflow.Errorf(dsrflow.EINVALID, `--records: not a JSON list of records like [{"dataset": "letters", "fields": {...}, "categories": {...}}] (%s)`, jsonWhere(err))
	}
	return recs, nil
}

// jsonWhere says where a JSON decoding error is, without the text it found there.
func jsonWhere(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s has the wrong type", typ.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "invalid JSON"
}
