package connectors

import "strings"

// A manual connector is a team that does a job by hand: the job becomes a task card in the team's
// channel (Channel, a Slack channel id or name) with the team's Instructions; someone answers Done,
// Nothing found or Cannot (with a reason), and sees the subject's identity only in the front door.
// It has no URL, secret or datasets.

// validateManual checks what is particular to the manual kind, and that other kinds do not set its fields.
func validateManual(c Connector) []problem {
	var ps []problem
	add := func(field, msg string) { ps = append(ps, problem{field, msg}) }
	if c.Kind != KindManual {
		if c.Channel != "" {
			add("channel", "channel is for manual connectors")
		}
		if c.Instructions != "" {
			add("instructions", "instructions are for manual connectors")
		}
		return ps
	}
	if strings.TrimSpace(c.Channel) == "" {
		add("channel", "channel is required: where the team's tasks are posted")
	}
	if strings.TrimSpace(c.Instructions) == "" {
		add("instructions", "instructions are required: what the team does with a task")
	}
	if c.URL != "" {
		add("url", "a manual connector has no url")
	}
	if len(c.Secret) > 0 {
		add("secret_env", "a manual connector has no secret")
	}
	if c.DSNEnv != "" {
		add("dsn_env", "dsn_env is for postgres connectors")
	}
	if c.Datasets != nil {
		add("datasets", "datasets are for postgres connectors")
	}
	if len(c.Retention) > 0 {
		add("retention", "a manual connector has no retention sweeps: purge jobs are not given to teams")
	}
	return ps
}
