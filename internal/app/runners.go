package app

import (
	"context"
	"log/slog"

	"github.com/dsrflow/dsrflow/connectors"
	_ "github.com/dsrflow/dsrflow/connectors/kinds" // the built-in connector kinds
	"github.com/dsrflow/dsrflow/internal/config"
)

// OpenRunners opens every configured connector through its kind, at worker start: a postgres
// connector connects and checks its mapping against the live schema, so an unknown table or column
// stops the worker with an error naming connector, table and column. Warnings (a match column without
// an index) are logged. The closer closes what was opened.
func OpenRunners(ctx context.Context, reg *connectors.Registry, getenv func(string) string, logger *slog.Logger) (map[string]connectors.Runner, func(context.Context) error, error) {
	runners, err := connectors.OpenAll(ctx, reg, connectors.Env{Getenv: getenv, Logger: logger})
	if err != nil {
		return nil, nil, &config.Error{Var: "DSR_CONNECTORS", Problem: err.Error()}
	}
	return runners, func(context.Context) error { return connectors.CloseAll(runners) }, nil
}
