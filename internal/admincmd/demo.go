package admincmd

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/config"
)

// effectCounts is what `starter demo effects` reports: how many jobs changed data in a demo connector,
// and which did so more than once (a job is idempotent under its id, so that list should be empty).
type effectCounts struct {
	Jobs       int            `json:"jobs"`
	Effects    int            `json:"effects"`
	Duplicates []string       `json:"duplicates"`
	ByJob      map[string]int `json:"by_job"`
}

func newDemoCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "demo", Short: "the demo connectors of `worker --dev`"}
	var asJSON bool
	effects := &cobra.Command{
		Use:   "effects [--json]",
		Short: "count the demo connectors' effects per job, from the effect log under DSR_DATA_DIR",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			byJob, err := demo.ReadEffects(filepath.Join(config.DevDataDir(getenv), config.DevDemoDir))
			if err != nil {
				return err
			}
			out := effectCounts{Jobs: len(byJob), Duplicates: []string{}, ByJob: byJob}
			for id, n := range byJob {
				out.Effects += n
				if n > 1 {
					out.Duplicates = append(out.Duplicates, id)
				}
			}
			slices.Sort(out.Duplicates)
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d jobs changed data (%d effects); %d applied more than once\n", out.Jobs, out.Effects, len(out.Duplicates))
			for _, id := range out.Duplicates {
				fmt.Fprintf(cmd.OutOrStdout(), "  %s: %d times\n", id, byJob[id])
			}
			return nil
		},
	}
	effects.Flags().BoolVar(&asJSON, "json", false, `print {"jobs","effects","duplicates","by_job"} as JSON`)
	cmd.AddCommand(effects)
	return cmd
}
