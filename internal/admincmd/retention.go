package admincmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/cli"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/workflows"
)

// newRetentionCmd runs and inspects the daily retention sweep's schedule. Unlike the API commands these
// dial Temporal directly, with the worker's configuration: the front door has no schedule routes yet.
func newRetentionCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "retention", Short: "the daily retention sweep: run it now, show its schedule (direct Temporal access)"}
	runNow := &cobra.Command{
		Use:   "run-now",
		Short: "start a retention sweep now, through its schedule (skipped when one is running)",
		Args:  cli.NoArgs,
		RunE: withSchedule(getenv, func(cmd *cobra.Command, _ client.Client, h client.ScheduleHandle) error {
			if err := h.Trigger(cmd.Context(), client.ScheduleTriggerOptions{}); err != nil {
				return scheduleError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "retention sweep triggered (schedule %s); `starter retention status` shows its outcome\n", workflows.RetentionScheduleID)
			return nil
		}),
	}
	var asJSON bool
	status := &cobra.Command{
		Use:   "status [--json]",
		Short: "the schedule's state (paused?), its recent sweeps and the next run",
		Args:  cli.NoArgs,
		RunE: withSchedule(getenv, func(cmd *cobra.Command, c client.Client, h client.ScheduleHandle) error {
			st, err := retentionStatus(cmd.Context(), c, h)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(st)
			}
			return st.print(cmd)
		}),
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	cmd.AddCommand(runNow, status)
	return cmd
}

// retentionState is `starter retention status`'s answer.
type retentionState struct {
	Schedule string `json:"schedule"`
	Paused   bool   `json:"paused"`
	// Note is why the schedule is paused, as Temporal or the operator wrote it.
	Note     string         `json:"note,omitempty"`
	NextRuns []time.Time    `json:"next_runs"`
	Recent   []sweepSummary `json:"recent"`
}

type sweepSummary struct {
	ScheduledAt time.Time `json:"scheduled_at"`
	StartedAt   time.Time `json:"started_at"`
	WorkflowID  string    `json:"workflow_id"`
	RunID       string    `json:"run_id"`
	// Status is the sweep workflow's: running, completed, failed, ...; "unknown" when it is no longer
	// retained by Temporal.
	Status string `json:"status"`
}

func retentionStatus(ctx context.Context, c client.Client, h client.ScheduleHandle) (retentionState, error) {
	d, err := h.Describe(ctx)
	if err != nil {
		return retentionState{}, scheduleError(err)
	}
	st := retentionState{Schedule: workflows.RetentionScheduleID, Paused: d.Schedule.State.Paused, Note: d.Schedule.State.Note,
		NextRuns: d.Info.NextActionTimes, Recent: []sweepSummary{}}
	if len(st.NextRuns) > 3 {
		st.NextRuns = st.NextRuns[:3]
	}
	for i := len(d.Info.RecentActions) - 1; i >= 0; i-- { // newest first
		a := d.Info.RecentActions[i]
		s := sweepSummary{ScheduledAt: a.ScheduleTime.UTC(), StartedAt: a.ActualTime.UTC(), Status: "unknown"}
		if w := a.StartWorkflowResult; w != nil {
			s.WorkflowID, s.RunID = w.WorkflowID, w.FirstExecutionRunID
			if desc, err := c.DescribeWorkflowExecution(ctx, w.WorkflowID, w.FirstExecutionRunID); err == nil {
				s.Status = strings.ToLower(desc.GetWorkflowExecutionInfo().GetStatus().String())
			}
		}
		st.Recent = append(st.Recent, s)
	}
	return st, nil
}

func (st retentionState) print(cmd *cobra.Command) error {
	out := cmd.OutOrStdout()
	state := "active"
	if st.Paused {
		state = "paused"
		if st.Note != "" {
			state += ": " + st.Note
		}
	}
	fmt.Fprintf(out, "schedule %s: %s\n", st.Schedule, state)
	if len(st.NextRuns) > 0 {
		fmt.Fprintf(out, "next run  %s\n", st.NextRuns[0].UTC().Format(time.RFC3339))
	}
	if len(st.Recent) == 0 {
		fmt.Fprintln(out, "no sweep has run yet")
		return nil
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STARTED\tSTATUS\tWORKFLOW")
	for _, s := range st.Recent {
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.StartedAt.Format(time.RFC3339), s.Status, s.WorkflowID)
	}
	return w.Flush()
}

// withSchedule dials Temporal as the worker does and hands the retention schedule to run.
func withSchedule(getenv func(string) string, run func(cmd *cobra.Command, c client.Client, h client.ScheduleHandle) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := loadAdminTemporal(getenv)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
		defer cancel()
		c, err := temporalx.Dial(ctx, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			return dialFailed(cfg.Address, err)
		}
		defer c.Close()
		cmd.SetContext(ctx)
		return run(cmd, c, c.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID))
	}
}

// loadAdminTemporal reads where Temporal is: TEMPORAL_ADDRESS (with TEMPORAL_NAMESPACE and
// TEMPORAL_TLS_*) as the production worker does, or else the dev stack's embedded server at
// DSR_TEMPORAL_ADDR in its namespace "default". No payload keys are needed: triggering and describing a
// schedule read no workflow data.
func loadAdminTemporal(getenv func(string) string) (config.Temporal, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	cfg := config.Temporal{
		Address: env("TEMPORAL_ADDRESS", ""), Namespace: env("TEMPORAL_NAMESPACE", "default"),
		TLSCert: env("TEMPORAL_TLS_CERT", ""), TLSKey: env("TEMPORAL_TLS_KEY", ""), TLSCA: env("TEMPORAL_TLS_CA", ""),
		TLSServerName: env("TEMPORAL_TLS_SERVER_NAME", ""), APIKey: env("TEMPORAL_API_KEY", ""),
	}
	name := "TEMPORAL_ADDRESS"
	if cfg.Address == "" {
		name = "DSR_TEMPORAL_ADDR"
		cfg = config.Temporal{Address: env(name, "127.0.0.1:7233"), Namespace: "default"}
	}
	if _, port, err := net.SplitHostPort(cfg.Address); err != nil || port == "" {
		return config.Temporal{}, &config.Error{Var: name, Problem: fmt.Sprintf("%q is not host:port", cfg.Address)}
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return config.Temporal{}, &config.Error{Var: "TEMPORAL_TLS_KEY", Problem: "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together"}
	}
	return cfg, nil
}

func scheduleError(err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "schedule %s does not exist: a worker creates it when it starts", workflows.RetentionScheduleID)
	}
	return err
}
