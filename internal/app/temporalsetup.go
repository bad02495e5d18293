package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/internal/temporalx"
	"github.com/dsrflow/dsrflow/workflows"
)

// SetupCommand is the command that registers what dsrflow needs in its Temporal namespace.
const SetupCommand = "starter temporal setup"

// SetupTemporal registers dsrflow's search attributes and the retention schedule in the namespace,
// leaving what is already there as it is, and returns one line per change (none when all was present).
// It needs the operator API's rights: `starter temporal setup` and the dev stack call it.
func SetupTemporal(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	var changes []string
	added, err := temporalx.EnsureSearchAttributes(ctx, c, namespace, workflows.SearchAttributes())
	if err != nil {
		return nil, err
	}
	for _, name := range added {
		changes = append(changes, fmt.Sprintf("added search attribute %s to namespace %s", name, namespace))
	}
	created, err := ensureRetentionSchedule(ctx, c)
	if err != nil {
		return changes, err
	}
	if created {
		changes = append(changes, fmt.Sprintf("created schedule %s (the retention sweep, daily at %02d:00 UTC)", workflows.RetentionScheduleID, workflows.RetentionPolicy.AtHour))
	}
	return changes, nil
}

// ensureRetentionSchedule creates the retention schedule, asking again while the server answers a call
// with a timeout or as unavailable (a server just started, or a loaded one, where a schedule's own
// workflow is slow to start), until ctx ends. Asking again is safe: a schedule the timed-out call did
// create answers AlreadyExists, which EnsureRetentionSchedule takes as present.
func ensureRetentionSchedule(ctx context.Context, c client.Client) (bool, error) {
	for {
		created, err := workflows.EnsureRetentionSchedule(ctx, c)
		var unavailable *serviceerror.Unavailable
		var deadline *serviceerror.DeadlineExceeded
		transient := errors.Is(err, context.DeadlineExceeded) || errors.As(err, &unavailable) || errors.As(err, &deadline)
		if err == nil || !transient || ctx.Err() != nil {
			return created, err
		}
		select {
		case <-ctx.Done():
			return false, err
		case <-time.After(time.Second):
		}
	}
}

// NotSetUpError says what the namespace lacks and how to add it.
type NotSetUpError struct {
	Namespace string
	Missing   []string
}

func (e *NotSetUpError) Error() string {
	return fmt.Sprintf("Temporal namespace %s is not set up for dsrflow: missing %s; run `%s` once with credentials allowed to change the namespace (the Helm chart's setup Job runs it)",
		e.Namespace, strings.Join(e.Missing, ", "), SetupCommand)
}

// CheckTemporal checks, without changing anything, that the namespace holds what SetupTemporal registers:
// a production worker calls it at start and refuses to run without it (*NotSetUpError).
func CheckTemporal(ctx context.Context, c client.Client, namespace string) error {
	attrs, err := temporalx.MissingSearchAttributes(ctx, c, namespace, workflows.SearchAttributes())
	if err != nil {
		return err
	}
	var missing []string
	for _, a := range attrs {
		missing = append(missing, "search attribute "+a)
	}
	ok, err := workflows.HasRetentionSchedule(ctx, c)
	if err != nil {
		return err
	}
	if !ok {
		missing = append(missing, "schedule "+workflows.RetentionScheduleID)
	}
	if len(missing) > 0 {
		return &NotSetUpError{Namespace: namespace, Missing: missing}
	}
	return nil
}

// ConfigProblem marks a namespace not set up as a configuration problem (exit status 2).
func (e *NotSetUpError) ConfigProblem() {}
