package admincmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors/conformance"
	"github.com/dsrflow/dsrflow/internal/app"
	"github.com/dsrflow/dsrflow/internal/cli"
)

func newConnectorCmd(getenv func(string) string) *cobra.Command {
	connector := &cobra.Command{Use: "connector", Short: "connectors: check one speaking protocol v1, print a postgres connector's GRANTs"}
	connector.AddCommand(newConnectorCheckCmd(getenv), newConnectorGrantsCmd(getenv), newNationalIDKeyCmd(getenv))
	return connector
}

// checkReport is the --json output of `connector check`.
type checkReport struct {
	URL       string               `json:"url"`
	Connector string               `json:"connector"`
	Action    dsrflow.Action       `json:"action"`
	Passed    bool                 `json:"passed"`
	Checks    []conformance.Result `json:"checks"`
}

func newConnectorCheckCmd(getenv func(string) string) *cobra.Command {
	var target conformance.Target
	var secretEnv, action string
	var identities, foreignIDs []string
	var asJSON bool
	var read restRead
	cmd := &cobra.Command{
		Use:   "check --url URL --secret-env VAR [--connector ID] [--action A] [--identity TYPE=VALUE ...] [--foreign TYPE=VALUE ...] [--json] | check --connector ID --email E [--show-values] [--json]",
		Short: "check a live connector against protocol v1, or show what a rest connector's read finds for a test identity",
		Long: `Sends signed, unsigned, forged, stale and malformed jobs for a subject nobody holds to a live
connector and prints one line per check. Exit 0 when every check passes, 1 when one fails.

The secret is read from the environment variable named by --secret-env. Jobs name the connector by
--connector, default the URL's last path segment. --identity gives the identities of an unknown subject
(default email=conformance-<random>@example.invalid); --action is what the jobs ask for (default access;
notify for partners). --foreign gives an identifier of a subject the connector does hold (a customer
id, a phone number): added unverified to the unknown subject's job, it must be answered identity_conflict
and no records; without it that check is not made.

Without --url, --connector names a rest connector in connectors.yaml (--connectors, default
$DSR_CONNECTORS, else ./connectors.yaml): its reads run for the test identity given by --email, --phone,
--name or --customer-id SYSTEM=ID, and what they find is shown per dataset (records, categories, field
names; values only with --show-values). Nothing is changed: only the reads are sent.`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if target.URL == "" && target.Connector != "" {
				return read.run(cmd, getenv, target.Connector, asJSON)
			}
			if target.URL == "" || secretEnv == "" {
				return app.UsageError{Err: errors.New("--url and --secret-env are required")}
			}
			target.Secret = []byte(getenv(secretEnv))
			if len(target.Secret) == 0 {
				return app.UsageError{Err: fmt.Errorf("--secret-env: variable %s is empty", secretEnv)}
			}
			id, err := conformance.ParseIdentities(identities)
			if err != nil {
				return app.UsageError{Err: fmt.Errorf("--identity: %w", err)}
			}
			target.Identities = id
			if target.Foreign, err = conformance.ParseIdentities(foreignIDs); err != nil {
				return app.UsageError{Err: fmt.Errorf("--foreign: %w", err)}
			}
			target.Action = dsrflow.Action(action)
			if target.Connector == "" {
				target.Connector = conformance.GuessConnector(target.URL)
			}

			results := conformance.Run(cmd.Context(), target)
			failed := 0
			for _, r := range results {
				if !r.Passed {
					failed++
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				err := json.NewEncoder(out).Encode(checkReport{URL: target.URL, Connector: target.Connector,
					Action: target.Action, Passed: failed == 0, Checks: results})
				if err != nil {
					return err
				}
			} else {
				for _, r := range results {
					verdict := "PASS"
					if !r.Passed {
						verdict = "FAIL"
					}
					fmt.Fprintf(out, "%s  %-27s %s\n", verdict, r.Name, cli.OneLine(r.Detail))
				}
				fmt.Fprintf(out, "%d of %d checks passed\n", len(results)-failed, len(results))
			}
			if failed > 0 {
				return fmt.Errorf("connector %s: %d of %d checks failed", target.Connector, failed, len(results))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target.URL, "url", "", "the connector's base URL, as in connectors.yaml (jobs go to URL/v1/jobs)")
	f.StringVar(&secretEnv, "secret-env", "", "environment variable holding the shared secret")
	f.StringVar(&target.Connector, "connector", "", "connector id put in jobs (default: the URL's last path segment); without --url, the rest connector in connectors.yaml to read")
	f.StringVar(&action, "action", string(dsrflow.ActionAccess), "action the jobs ask for (notify for partners)")
	f.StringArrayVar(&identities, "identity", nil, "TYPE=VALUE of a subject the connector does not hold: email, name, phone, customer_id:SYSTEM (repeatable)")
	f.StringArrayVar(&foreignIDs, "foreign", nil, "TYPE=VALUE of another subject the connector holds, to check that an unverified identifier is a conflict (repeatable)")
	f.DurationVar(&target.PollTimeout, "poll-timeout", 30*time.Second, "how long to poll an accepted (202) job for its final status")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON")
	read.flags(cmd)
	return cmd
}
