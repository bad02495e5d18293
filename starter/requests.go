package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
)

func newRequestCmd(getenv func(string) string) *cobra.Command {
	var body dsrflow.NewRequest
	var customerIDs, corrections []string
	var agentName, agentEmail, agentPermission string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "request TYPE --email E [flags]",
		Short: "start a data-subject request: " + typeList(),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body.Type = args[0]
			var err error
			if body.CustomerIDs, err = pairs("--customer-id", customerIDs); err != nil {
				return err
			}
			if body.Corrections, err = pairs("--correct", corrections); err != nil {
				return err
			}
			if body.Agent, err = agentOf(agentName, agentEmail, agentPermission); err != nil {
				return err
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			out, err := c.CreateRequest(cmd.Context(), body)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s, due %s (verification: %s)\n", cli.OneLine(out.ID), cli.OneLine(out.Type), cli.OneLine(out.Status), cli.OneLine(out.Due), cli.OneLine(out.Verification))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&body.Email, "email", "", "the subject's email address (required)")
	f.StringVar(&body.Name, "name", "", "the subject's name")
	f.StringVar(&body.Phone, "phone", "", "the subject's phone number")
	f.StringArrayVar(&customerIDs, "customer-id", nil, "SYSTEM=ID: the subject's id in a system (repeatable)")
	f.StringVar(&body.Country, "country", "", "country of the entity handling the request, whose working days count (default NO; US under ccpa)")
	f.StringVar(&body.Residence, "residence", "", "CC: the subject's country of residence, whose supervisory authority the answer names (default: --country)")
	f.StringVar(&body.Language, "language", "", "the subject's language: "+strings.Join(dsrflow.Languages, ", ")+" (default en)")
	f.StringVar(&body.Jurisdiction, "jurisdiction", "", "gdpr (default) or ccpa")
	f.StringVar(&body.Received, "received", "", "when the request was received: YYYY-MM-DD or RFC 3339 (default now)")
	f.StringVar(&body.Channel, "channel", "", "email, web (default), phone or letter")
	f.StringVar(&body.Attest, "attest", "", "REASON: you confirmed the subject's identity from an authenticated channel")
	f.StringVar(&body.Verification, "verification", "", "METHOD: email_code or eid (a type the controller marks sensitive refuses email_code; default: the right's, or eid for a sensitive type)")
	f.StringArrayVar(&corrections, "correct", nil, "CATEGORY=VALUE: a correction, for rectification (repeatable)")
	f.StringArrayVar(&body.Purposes, "purpose", nil, "ID: a purpose from controller.yaml that consent is withdrawn for, or that an objection objects to (repeatable)")
	f.StringVar(&body.Grounds, "grounds", "", "the subject's grounds, for objection")
	f.StringVar(&agentName, "agent-name", "", "under ccpa: the authorized agent submitting for the subject (with --agent-email and --agent-permission)")
	f.StringVar(&agentEmail, "agent-email", "", "the authorized agent's email address: it gets a copy of the acknowledgement")
	f.StringVar(&agentPermission, "agent-permission", "", "FILE: the permission the subject signed; its SHA-256 is kept as evidence, the subject still verifies")
	f.StringVar(&body.Ground, "ground", "", "the restriction's ground, GDPR Art. 18(1) (required for restriction): "+dsrflow.RestrictionGroundList())
	f.BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return cmd
}

// agentOf is the authorized agent the flags name, with the SHA-256 of the signed permission read from
// its file; nil when no agent flag is given. The service checks the rest, one message per field.
func agentOf(name, email, permissionFile string) (*dsrflow.Agent, error) {
	if name == "" && email == "" && permissionFile == "" {
		return nil, nil
	}
	a := &dsrflow.Agent{Name: name, Email: email}
	if permissionFile == "" {
		return a, nil // the service names the missing permission_sha256
	}
	f, err := os.Open(permissionFile)
	if err != nil {
		return nil, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "--agent-permission: cannot read the signed permission: " + err.Error(),
			Fields: map[string]string{"agent.permission": "cannot read the file"}}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("--agent-permission: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		return nil, &dsrflow.Error{Code: dsrflow.EINVALID, Message: "--agent-permission: the signed permission file is empty",
			Fields: map[string]string{"agent.permission": "the file is empty"}}
	}
	a.PermissionSHA256 = hex.EncodeToString(h.Sum(nil))
	return a, nil
}

func newShowCmd(getenv func(string) string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "show a request: status, deadlines, jobs, decisions, timeline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			v, err := c.GetRequest(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\tdue %s\n", cli.OneLine(v.ID), cli.OneLine(v.Type), cli.OneLine(v.Status), cli.OneLine(v.Country), cli.OneLine(v.Due))
			if v.Residence != "" || v.Language != "" {
				fmt.Fprintf(w, "  subject\tresidence %s\tlanguage %s\n", cli.OneLine(v.Residence), cli.OneLine(v.Language))
			}
			if v.RepeatOf != "" {
				fmt.Fprintf(w, "  repeat of\t%s\tflagged for review: answered within the repeat window\n", cli.OneLine(v.RepeatOf))
			}
			for _, j := range v.Jobs {
				fmt.Fprintf(w, "  job\t%s\t%s\t%s\t%s\n", cli.OneLine(j.Connector), cli.OneLine(j.Action), cli.OneLine(j.Status), cli.OneLine(j.Detail))
			}
			for _, d := range v.Decisions {
				fmt.Fprintf(w, "  decision\t%s\t%s\t%s\n", cli.OneLine(d.Reviewer), cli.OneLine(d.Decision), cli.OneLine(d.Reason))
			}
			for _, e := range v.Events {
				fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", e.Time.Format("2006-01-02 15:04"), cli.OneLine(e.Action), cli.OneLine(e.Actor), cli.OneLine(e.Reason))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newListCmd(getenv func(string) string) *cobra.Command {
	var status, typ, country, dueWithin, assignee string
	var overdue, open, closed, asJSON bool
	var page int
	cmd := &cobra.Command{
		Use:   "list [--status S] [--type T] [--assignee P|me|none] [--open|--closed] [--overdue] [--due-within 7d] [--page N] [--json]",
		Short: "list requests by due date, from the store's index",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			if page < 1 {
				return &dsrflow.Error{Code: dsrflow.EINVALID, Message: "--page must be a number from 1", Fields: map[string]string{"page": "must be a number from 1"}}
			}
			rows, err := c.ListRequests(cmd.Context(), dsrflow.RequestQuery{Status: status, Type: typ, Country: country, DueWithin: dueWithin, Overdue: overdue,
				Assignee: assignee, Open: open, Closed: closed, Limit: listPage, Offset: (page - 1) * listPage})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rows)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tTYPE\tSTATUS\tCOUNTRY\tDUE\tDAYS LEFT")
			for _, r := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", cli.OneLine(r.ID), cli.OneLine(r.Type), cli.OneLine(r.Status), cli.OneLine(r.Country), cli.OneLine(r.Due), r.DaysLeft)
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only this status")
	f.StringVar(&typ, "type", "", "only this type")
	f.StringVar(&country, "country", "", "only this country")
	f.StringVar(&dueWithin, "due-within", "", "only open requests due within this long: 7d, 36h")
	f.BoolVar(&overdue, "overdue", false, "only open requests past their due date")
	f.StringVar(&assignee, "assignee", "", "only requests assigned to this principal id; me: yours; none: nobody's")
	f.BoolVar(&open, "open", false, "only open requests")
	f.BoolVar(&closed, "closed", false, "only closed requests")
	f.IntVar(&page, "page", 1, fmt.Sprintf("the page of %d requests, from 1", listPage))
	f.BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// listPage is how many requests one page of `starter list` shows.
const listPage = 100

// action is one change to a request through the request service.
type action func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.Decided, error)

// stateAction is an action whose answer is the request's state.
func stateAction(do func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.RequestState, error)) action {
	return func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.Decided, error) {
		st, err := do(ctx, svc, id)
		return dsrflow.Decided{Request: &st}, err
	}
}

// newActionCmd builds the commands that change a request and print its state (or a disclosure vote's).
func newActionCmd(getenv func(string) string, use, short string, args int, prepare func(cmd *cobra.Command, args []string) (action, error)) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(args),
		RunE: func(cmd *cobra.Command, args []string) error {
			do, err := prepare(cmd, args)
			if err != nil {
				return err
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			out, err := do(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if out.Vote != nil { // a disclosure's vote: the review as it stands
				if asJSON {
					return printJSON(cmd.OutOrStdout(), out.Vote)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", cli.OneLine(args[0]), cli.OneLine(out.Vote.State))
				return nil
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out.Request)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, due %s\n", cli.OneLine(args[0]), cli.OneLine(out.Request.Status), cli.OneLine(out.Request.Due))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newVerifyCmd(getenv func(string) string) *cobra.Command {
	return newActionCmd(getenv, "verify ID CODE", "enter the 6-digit code the subject received", 2,
		func(_ *cobra.Command, args []string) (action, error) {
			return stateAction(func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.RequestState, error) {
				return svc.VerifyRequest(ctx, id, args[1])
			}), nil
		})
}

func newResendCmd(getenv func(string) string) *cobra.Command {
	return newActionCmd(getenv, "resend ID", "mail the subject a new code", 1,
		func(*cobra.Command, []string) (action, error) {
			return stateAction(func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.RequestState, error) {
				return svc.ResendCode(ctx, id)
			}), nil
		})
}

func newReasonedCmd(getenv func(string) string, name, short string) *cobra.Command {
	var reason string
	cmd := newActionCmd(getenv, name+" ID --reason R", short, 1, func(*cobra.Command, []string) (action, error) {
		if strings.TrimSpace(reason) == "" {
			return nil, dsrflow.Errorf(dsrflow.EINVALID, "--reason is required")
		}
		return stateAction(func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.RequestState, error) {
			if name == "cancel" {
				return svc.CancelRequest(ctx, id, reason)
			}
			return svc.ExtendRequest(ctx, id, reason)
		}), nil
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why (audited; for extend, told to the subject)")
	return cmd
}

func newApproveCmd(getenv func(string) string) *cobra.Command {
	var reason string
	var reject bool
	var narrow []string
	cmd := newActionCmd(getenv, "approve ID [--reject | --narrow C,...] --reason R", "decide a pending review (objection or disclosure): approve, --reject, or approve --narrow categories of a disclosure", 1, func(*cobra.Command, []string) (action, error) {
		if strings.TrimSpace(reason) == "" {
			return nil, dsrflow.Errorf(dsrflow.EINVALID, "--reason is required")
		}
		if reject && len(narrow) > 0 {
			return nil, dsrflow.Errorf(dsrflow.EINVALID, "--reject and --narrow exclude each other")
		}
		d := dsrflow.ReviewDecision{Decision: string(dsrflow.VoteApprove), Reason: reason}
		switch {
		case reject:
			d.Decision = string(dsrflow.VoteReject)
		case len(narrow) > 0:
			d.Decision, d.Scope = string(dsrflow.VoteNarrow), narrow
		}
		return func(ctx context.Context, svc dsrflow.RequestService, id string) (dsrflow.Decided, error) {
			return svc.Decide(ctx, id, d)
		}, nil
	})
	cmd.Flags().StringVar(&reason, "reason", "", "the grounds of the decision")
	cmd.Flags().BoolVar(&reject, "reject", false, "reject instead of approve")
	cmd.Flags().StringSliceVar(&narrow, "narrow", nil, "approve a disclosure for these categories only (comma-separated)")
	return cmd
}

func newOutboxCmd(getenv func(string) string) *cobra.Command {
	var to, request string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "outbox [--to EMAIL] [--request ID] [--json]",
		Short: "list mail to subjects (admin or dev token)",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			msgs, err := c.Outbox(cmd.Context(), dsrflow.OutboxQuery{To: to, RequestID: request})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), msgs)
			}
			for _, m := range msgs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s  %s  %s\n%v\n\n", m.Created.Format("2006-01-02T15:04:05Z07:00"), cli.OneLine(m.To), cli.OneLine(m.Subject), m.Body)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "only mail to this address")
	cmd.Flags().StringVar(&request, "request", "", "only mail of this request")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newExportCmd(getenv func(string) string) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export ID -o FILE",
		Short: "download an access or portability request's export (ZIP)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return dsrflow.Errorf(dsrflow.EINVALID, "-o FILE is required")
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			exp, err := c.RequestExport(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			data := exp.Data
			if err := os.WriteFile(out, data, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes)\n", out, len(data))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (mode 0600: it holds personal data)")
	return cmd
}

// pairs parses repeated KEY=VALUE flags.
func pairs(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, dsrflow.Errorf(dsrflow.EINVALID, "%s wants KEY=VALUE", flag)
		}
		m[strings.TrimSpace(k)] = v
	}
	return m, nil
}

func typeList() string {
	names := make([]string, 0, len(dsrflow.RequestTypes))
	for _, t := range dsrflow.RequestTypes {
		names = append(names, string(t))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
