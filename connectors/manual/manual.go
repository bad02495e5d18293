// Package manual is the manual connector kind: a team does a job by hand. The job becomes a task card
// in the team's channel (a Slack channel id or name) with the team's instructions; someone answers
// Done, Nothing found or Cannot (with a reason), and sees the subject's identity only in the front
// door. An access task's Done may carry the records the team found, of the connector's declared
// categories (dsrflow.TaskAnswer.Records): they become the job's records, as a connector's answer's.
// In connectors.yaml:
//
//	kind: manual
//	channel: C01ARCHIVE
//	instructions: Search the paper archive by name and customer number.
//
// It has no URL, secret or datasets, and no retention sweeps: purge jobs are not given to teams.
package manual

import (
	"context"
	"strings"

	"github.com/dsrflow/dsrflow/connectors"
)

// Name is the kind's value of kind: in connectors.yaml; the workflow knows it as connectors.KindManual.
const Name = connectors.KindManual

func init() { connectors.Register(kind{}) }

// Settings are a manual connector's own configuration.
type Settings struct {
	// Channel is where the team's task cards go.
	Channel string
	// Instructions tell the team what to do with a task.
	Instructions string
}

// Task implements connectors.Tasks: the workflow makes each job a task for the team.
func (s Settings) Task() (channel, instructions string) { return s.Channel, s.Instructions }

// Kind implements connectors.Settings.
func (Settings) Kind() string { return Name }

// Clone returns the settings: they hold no slice or map.
func (s Settings) Clone() connectors.Settings { return s }

// Defaults has none to fill in.
func (s Settings) Defaults(c connectors.Connector) connectors.Connector {
	c.Settings = s
	return c
}

// Check checks the channel and the instructions, and that no retention is asked of a team.
func (s Settings) Check(c connectors.Connector) []connectors.Problem {
	var ps []connectors.Problem
	if strings.TrimSpace(s.Channel) == "" {
		ps = append(ps, connectors.Problemf("channel", "channel is required: where the team's tasks are posted"))
	}
	if strings.TrimSpace(s.Instructions) == "" {
		ps = append(ps, connectors.Problemf("instructions", "instructions are required: what the team does with a task"))
	}
	if len(c.Retention) > 0 {
		ps = append(ps, connectors.Problemf("retention", "a manual connector has no retention sweeps: purge jobs are not given to teams"))
	}
	return ps
}

type kind struct{}

func (kind) Name() string     { return Name }
func (kind) Fields() []string { return []string{"channel", "instructions"} }

func (kind) Decode(sec *connectors.Section) connectors.Settings {
	var s Settings
	s.Channel, _ = sec.String("channel")
	s.Instructions, _ = sec.String("instructions")
	return s
}

// Open returns a runner that runs nothing: the workflow turns a manual connector's jobs into tasks
// (connectors.Tasks), so a job that reaches it was sent by mistake and goes to a person.
func (kind) Open(_ context.Context, c connectors.Connector, _ connectors.Env) (connectors.Runner, error) {
	return byHand{id: c.ID}, nil
}

type byHand struct{ id string }

func (b byHand) Run(context.Context, connectors.Job) (connectors.Result, error) {
	return connectors.Result{}, b.refuse()
}

func (b byHand) Poll(context.Context, string) (connectors.Result, error) {
	return connectors.Result{}, b.refuse()
}

func (b byHand) refuse() error {
	return &connectors.CallError{Connector: b.id, Permanent: true, Message: "a manual connector's jobs are tasks for its team, not run by the worker"}
}

func (byHand) Close() error { return nil }
