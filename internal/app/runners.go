package app

import (
	"context"
	"log/slog"

	"github.com/dsrflow/dsrflow/connectors"
	_ "github.com/dsrflow/dsrflow/connectors/kinds" // the built-in connector kinds
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/connlimit"
	"github.com/dsrflow/dsrflow/internal/store"
)

// OpenRunners opens every configured connector through its kind, at worker start: a postgres
// connector connects and checks its mapping against the live schema, so an unknown table or column
// stops the worker with an error naming connector, table and column. Warnings (a match column without
// an index) are logged. The closer closes what was opened. A kind that paces its own requests (rest)
// does so through throttle (NewThrottle), so that its rate holds across workers.
func OpenRunners(ctx context.Context, reg *connectors.Registry, getenv func(string) string, logger *slog.Logger, throttle connectors.Throttle) (map[string]connectors.Runner, func(context.Context) error, error) {
	runners, err := connectors.OpenAll(ctx, reg, connectors.Env{Getenv: getenv, Logger: logger, Throttle: throttle})
	if err != nil {
		return nil, nil, &config.Error{Var: "DSR_CONNECTORS", Problem: err.Error()}
	}
	return runners, func(context.Context) error { return connectors.CloseAll(runners) }, nil
}

// NewThrottle holds calls to the connectors' limits (max_concurrent, rate, burst in connectors.yaml)
// across every worker sharing st.
func NewThrottle(st *store.Store, logger *slog.Logger) connectors.Throttle {
	return &connlimit.Throttle{Store: st, Logger: logger}
}
