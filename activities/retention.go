package activities

import (
	"context"
)

// RetentionTargets lists the connectors with retention rules, sorted by id. It reads configuration
// only, so the sweep runs it as a local activity.
func (a *Connectors) RetentionTargets(ctx context.Context) ([]RetentionTarget, error) {
	var out []RetentionTarget
	for _, c := range a.Registry.List() {
		if len(c.Retention) == 0 {
			continue
		}
		out = append(out, RetentionTarget{Connector: ConnectorRef{ID: c.ID, Owner: c.Owner, Role: c.Role}, Rules: c.Retention})
	}
	return out, nil
}
