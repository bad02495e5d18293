package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
)

// newRefuseCmd is `starter refuse ID --ground G --reason R`: a reviewer's or the DPO's refusal (GDPR
// Art. 12(5), 12(2) with 11(2)) at any stage before the answer. The front door checks the ground and
// the reason (exit 3 naming the field) and refuses a request already answered (exit 3, conflict).
func newRefuseCmd(getenv func(string) string) *cobra.Command {
	var ground, reason string
	cmd := newActionCmd(getenv, "refuse ID --ground "+strings.ReplaceAll(dsrflow.RefusalGroundList(), ", ", "|")+" --reason R",
		"refuse a request before its answer (reviewer, dpo): the subject is told the reasons, the supervisory authority and the right to go to court", 1,
		func(*cobra.Command, []string) (action, error) {
			return stateAction(func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.RequestState, error) {
				return svc.RefuseRequest(ctx, id, dsrflow.Refusal{Ground: ground, Reason: reason})
			}), nil
		})
	cmd.Flags().StringVar(&ground, "ground", "", "why the request is refused: "+dsrflow.RefusalGroundList())
	cmd.Flags().StringVar(&reason, "reason", "", "the reasons, told to the subject (audited)")
	return cmd
}
