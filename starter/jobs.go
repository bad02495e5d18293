package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/workflows"
)

func newJobCmd(getenv func(string) string) *cobra.Command {
	job := &cobra.Command{Use: "job", Short: "connector jobs escalated at their point and waiting for a person"}
	var retry, done, notFound bool
	var failed, note string
	resolve := &cobra.Command{
		Use:   "resolve ID JOB --retry|--failed REASON|--done|--not-found [--note N]",
		Short: "decide an escalated job: retry it, mark it failed (the subject is told the reason), or answer it by hand (agents, dpo)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var action, reason string
			chosen := 0
			for _, o := range []struct {
				set    bool
				action string
			}{{retry, workflows.ResolveRetry}, {cmd.Flags().Changed("failed"), workflows.ResolveFailed}, {done, workflows.ResolveDone}, {notFound, workflows.ResolveNotFound}} {
				if o.set {
					action = o.action
					chosen++
				}
			}
			if chosen != 1 {
				return dsrflow.Errorf(dsrflow.EINVALID, "give exactly one of --retry, --failed REASON, --done, --not-found")
			}
			reason = strings.TrimSpace(note)
			if action == workflows.ResolveFailed {
				if reason = strings.TrimSpace(failed); reason == "" {
					return dsrflow.Errorf(dsrflow.EINVALID, "--failed needs a reason, which the subject is told")
				}
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			var out map[string]any
			path := "/api/v1/requests/" + url.PathEscape(args[0]) + "/jobs/" + url.PathEscape(args[1]) + "/resolve"
			if err := c.call(cmd.Context(), "POST", path, nil, map[string]string{"action": action, "reason": reason}, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s; request %v\n", args[0], args[1], action, out["status"])
			return nil
		},
	}
	resolve.Flags().BoolVar(&retry, "retry", false, "run the job again, with a new escalation point")
	resolve.Flags().StringVar(&failed, "failed", "", "mark the job failed; the reason is told to the subject")
	resolve.Flags().BoolVar(&done, "done", false, "the job was done by hand")
	resolve.Flags().BoolVar(&notFound, "not-found", false, "nothing about the subject was found by hand")
	resolve.Flags().StringVar(&note, "note", "", "a note for the audit trail (with --done or --not-found)")
	job.AddCommand(resolve)
	return job
}
