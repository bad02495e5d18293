package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/reports"
)

func newDisclosureCmd(getenv func(string) string) *cobra.Command {
	disclosure := &cobra.Command{Use: "disclosure", Short: "authority (police) requests for personal data"}
	var body dsrflow.NewDisclosure
	var asJSON bool
	var orderFile string
	create := &cobra.Command{
		Use: "create [--kind KIND [--statute LAW]] --authority NAME --country CC --case-ref REF --legal-basis TEXT " +
			"[--court-order REF --court NAME --order-date DATE] [--order-file PATH] --email SUBJECT ... --categories C,... [--gag-until DATE] [--language LANG] [--json]",
		Short: "record an authority's request: a police request without a court order is refused at once, every other goes to two members of legal",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if orderFile != "" {
				doc, err := os.ReadFile(orderFile)
				if err != nil {
					return dsrflow.Errorf(dsrflow.EINVALID, "--order-file: %v", err)
				}
				body.OrderDocument = base64.StdEncoding.EncodeToString(doc)
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			out, err := c.CreateDisclosure(cmd.Context(), body)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s disclosure: %s\n", cli.OneLine(out.ID), cli.OneLine(out.Status))
			if out.Reply != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "reply to the authority:\n%s\n", out.Reply)
			}
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&body.Kind, "kind", "police", "police, supervisory_authority, statutory_order or vital_interest")
	f.StringVar(&body.Statute, "statute", "", "the law a statutory_order is made under (required for that kind)")
	f.StringVar(&orderFile, "order-file", "", "the order document: its SHA-256 goes to the register, an encrypted copy to the store")
	f.StringVar(&body.Authority, "authority", "", "the requesting authority (required)")
	f.StringVar(&body.Country, "country", "", "the authority's country, ISO 3166 alpha-2 (required)")
	f.StringVar(&body.CaseRef, "case-ref", "", "the authority's case reference (required)")
	f.StringVar(&body.LegalBasis, "legal-basis", "", "the legal basis the authority invokes (required)")
	f.StringVar(&body.CourtOrder, "court-order", "", "the court order's reference; without one nothing is disclosed")
	f.StringVar(&body.Court, "court", "", "the court that issued the order")
	f.StringVar(&body.OrderDate, "order-date", "", "the order's date, YYYY-MM-DD")
	f.StringArrayVar(&body.Emails, "email", nil, "a subject's email address (repeatable, at least one)")
	f.StringSliceVar(&body.Categories, "categories", nil, "the data categories asked for, comma-separated")
	f.StringVar(&body.GagUntil, "gag-until", "", "a gag order's last day, YYYY-MM-DD: the subjects are told after it")
	f.StringVar(&body.Language, "language", "", "the language the subjects are told in: nb, sv, da, fi or en (default: the authority's country's, else en)")
	f.BoolVar(&asJSON, "json", false, "print the answer as JSON")
	disclosure.AddCommand(create)
	return disclosure
}

func newReviewsCmd(getenv func(string) string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reviews [--json]",
		Short: "list the decisions waiting for a reviewer: disclosures and objections",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			rows, err := c.Reviews(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rows)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tKIND\tCOUNTRY\tDUE\tAPPROVALS\tCASE")
			for _, r := range rows {
				what := ""
				if r.Kind == string(dsrflow.ReviewDisclosure) {
					what = fmt.Sprintf("%s, %s (%d subjects; %s)", r.CaseRef, r.Authority, r.Subjects, strings.Join(r.Categories, ", "))
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", cli.OneLine(r.ID), cli.OneLine(r.Kind), cli.OneLine(r.Country), cli.OneLine(r.Due), r.Approvals, cli.OneLine(what))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newReportCmd(getenv func(string) string) *cobra.Command {
	report := &cobra.Command{Use: "report", Short: "reports for the DPO"}
	var year int
	var asJSON, asCSV bool
	transparency := &cobra.Command{
		Use:   "transparency --year Y [--json|--csv]",
		Short: "authority requests of a year by the authority's country: received, refused, complied, subjects, categories",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if year == 0 {
				return dsrflow.Errorf(dsrflow.EINVALID, "--year is required")
			}
			if asJSON && asCSV {
				return dsrflow.Errorf(dsrflow.EINVALID, "--json and --csv exclude each other")
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			rep, err := c.TransparencyReport(cmd.Context(), year)
			if err != nil {
				return err
			}
			rows := rep.Authorities
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				return printJSON(out, rows)
			case asCSV:
				return reports.WriteTransparencyCSV(out, rows)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "COUNTRY\tRECEIVED\tREFUSED (NO ORDER)\tREFUSED (REVIEW)\tCOMPLIED\tSUBJECTS\tCATEGORIES")
			for _, r := range rows {
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%s\n", cli.OneLine(r.Country), r.Received, r.RefusedNoOrder, r.RefusedOnReview, r.Complied, r.Subjects, cli.OneLine(strings.Join(r.Categories, ", ")))
			}
			if len(rep.Routed) > 0 {
				fmt.Fprintln(w, "\nROUTED TO CUSTOMERS (all to date)\nCUSTOMER\tLEGAL NAME\tROUTED\tOPEN\tESCALATED\tEXECUTED\tDECLINED\tHANDLED")
				for _, r := range rep.Routed {
					fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", cli.OneLine(r.Customer), cli.OneLine(r.LegalName), r.Total, r.Open, r.Escalated, r.Executed, r.Declined, r.Handled)
				}
			}
			return w.Flush()
		},
	}
	transparency.Flags().IntVar(&year, "year", 0, "the calendar year (UTC) the requests were received in")
	transparency.Flags().BoolVar(&asJSON, "json", false, "print a JSON list of rows")
	transparency.Flags().BoolVar(&asCSV, "csv", false, "print CSV")
	report.AddCommand(transparency, newStatsCmd(getenv))
	return report
}

// newStatsCmd is `starter report stats`: a year's request statistics, as the console's /console/stats.
func newStatsCmd(getenv func(string) string) *cobra.Command {
	var year int
	var period string
	var asJSON, asCSV bool
	cmd := &cobra.Command{
		Use:   "stats [--year Y] [--period month|quarter] [--json|--csv]",
		Short: "data-subject requests of a year by period, type and country: received, extended, refused, answered on time, median days",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON && asCSV {
				return dsrflow.Errorf(dsrflow.EINVALID, "--json and --csv exclude each other")
			}
			if year == 0 {
				year = time.Now().UTC().Year()
			}
			q := dsrflow.StatsQuery{Year: year, Period: period}
			if err := q.Validate(); err != nil {
				return err
			}
			c, err := newAPIClient(getenv)
			if err != nil {
				return err
			}
			st, err := c.RequestStats(cmd.Context(), q)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				return printJSON(out, st)
			case asCSV:
				return reports.WriteStatsCSV(out, st)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			table := func(title string, rows []dsrflow.StatsRow) {
				fmt.Fprintf(w, "%s\tRECEIVED\tEXTENDED\tREFUSED\tANSWERED\tON TIME\tSHARE\tMEDIAN DAYS\n", title)
				for _, r := range rows {
					share, median := "-", "-"
					if r.Answered > 0 {
						share, median = fmt.Sprintf("%.0f%%", r.OnTimeShare*100), fmt.Sprintf("%.1f", r.MedianDays)
					}
					fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", cli.OneLine(r.Key), r.Received, r.Extended, r.Refused, r.Answered, r.OnTime, share, median)
				}
				fmt.Fprintln(w)
			}
			total := st.Total
			total.Key = strconv.Itoa(st.Year)
			table("YEAR", []dsrflow.StatsRow{total})
			table(strings.ToUpper(st.Period), st.Periods)
			table("TYPE", st.ByType)
			table("RESIDENCE", st.ByResidence)
			table("HANDLING COUNTRY", st.ByCountry)
			fmt.Fprintln(w, "REFUSAL GROUND\tREFUSED")
			for _, g := range st.Refusals {
				fmt.Fprintf(w, "%s\t%d\n", cli.OneLine(g.Ground), g.Count)
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&year, "year", 0, "the calendar year (UTC); default this year")
	cmd.Flags().StringVar(&period, "period", dsrflow.StatsMonth, "month or quarter")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "print CSV (the columns of the console's /console/stats.csv)")
	return cmd
}
