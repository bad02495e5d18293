package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
)

func newJobCmd(getenv func(string) string) *cobra.Command {
	job := &cobra.Command{Use: "job", Short: "connector jobs waiting for a person: escalated at their point, or ended identity_conflict"}
	var retry, done, notFound, confirm, drop bool
	var failed, note, reason string
	resolve := &cobra.Command{
		Use:   "resolve ID JOB --retry|--failed REASON|--done|--not-found [--note N] | --confirm-identifiers --reason R|--drop-identifiers",
		Short: "decide a job waiting for a person: an escalated one (retry, failed, done, not found) or an identity conflict (confirm, drop) (agents, dpo)",
		Long: `Decide a connector job that waits for a person (agents, dpo).

An escalated job (no result by its escalation point):
  --retry              run it again, with a new escalation point
  --failed REASON      mark it failed; the subject's answer gives the reason
  --done, --not-found  it was done, or nothing was found, by hand (--note N for the audit trail)

A job that ended identity_conflict (an identifier given with the request but not verified, such as a
customer id or a phone number, matches someone else's record; its task, kind identity_conflict, shows
which identifiers are verified):
  --confirm-identifiers --reason R   the subject confirmed the identifiers are theirs (say how): the
                                     job runs again as JOB:confirmed with every identifier verified
  --drop-identifiers                 the job runs again as JOB:dropped with the verified identifiers
                                     only (--note N for the audit trail)

JOB is the job id or the part after the request id (crm:access). The request is answered only once
every such job is decided.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var action string
			chosen := 0
			for _, o := range []struct {
				set    bool
				action string
			}{{retry, resolveRetry}, {cmd.Flags().Changed("failed"), resolveFailed}, {done, resolveDone}, {notFound, resolveNotFound},
				{confirm, resolveConfirm}, {drop, resolveDrop}} {
				if o.set {
					action = o.action
					chosen++
				}
			}
			if chosen != 1 {
				return dsrflow.Errorf(dsrflow.EINVALID, "give exactly one of --retry, --failed REASON, --done, --not-found, --confirm-identifiers --reason R, --drop-identifiers")
			}
			if cmd.Flags().Changed("reason") && action != resolveConfirm {
				return dsrflow.Errorf(dsrflow.EINVALID, "--reason goes with --confirm-identifiers; use --note for a note")
			}
			why := strings.TrimSpace(note)
			switch action {
			case resolveFailed:
				if why = strings.TrimSpace(failed); why == "" {
					return dsrflow.Errorf(dsrflow.EINVALID, "--failed needs a reason, which the subject is told")
				}
			case resolveConfirm:
				if why = strings.TrimSpace(reason); why == "" {
					return dsrflow.Errorf(dsrflow.EINVALID, "--confirm-identifiers needs --reason: how the subject confirmed the identifiers are theirs")
				}
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			var out map[string]any
			path := "/api/v1/requests/" + url.PathEscape(args[0]) + "/jobs/" + url.PathEscape(args[1]) + "/resolve"
			if err := c.call(cmd.Context(), "POST", path, nil, map[string]string{"action": action, "reason": why}, &out); err != nil {
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
	resolve.Flags().StringVar(&note, "note", "", "a note for the audit trail (with --done, --not-found or --drop-identifiers)")
	resolve.Flags().BoolVar(&confirm, "confirm-identifiers", false, "an identity conflict: the subject confirmed the identifiers are theirs; the job runs again with them verified (needs --reason)")
	resolve.Flags().StringVar(&reason, "reason", "", "with --confirm-identifiers: how the subject confirmed the identifiers")
	resolve.Flags().BoolVar(&drop, "drop-identifiers", false, "an identity conflict: the job runs again without the unverified identifiers")
	job.AddCommand(resolve)
	return job
}

// The resolutions the front door's job route takes: the workflows' ResolveRetry, ResolveFailed,
// ResolveDone, ResolveNotFound, ResolveConfirm and ResolveDrop, which starter does not link
// (TestStarterWireNamesMatchTheWorkflows holds them equal).
const (
	resolveRetry    = "retry"
	resolveFailed   = "failed"
	resolveDone     = "done"
	resolveNotFound = "not_found"
	resolveConfirm  = "confirm"
	resolveDrop     = "drop"
)
