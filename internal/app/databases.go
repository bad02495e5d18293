package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/postgres"
	"github.com/dsrflow/dsrflow/internal/config"
)

// OpenDatabases connects to every connector of kind postgres and checks its mapping against the live
// schema: an unknown table or column stops the worker with an error naming connector, table and column.
// Warnings (a match column without an index) are logged. The closer closes what was opened.
func OpenDatabases(ctx context.Context, reg *connectors.Registry, getenv func(string) string, logger *slog.Logger) (map[string]*postgres.Connector, func(context.Context) error, error) {
	open := map[string]*postgres.Connector{}
	closeAll := func(context.Context) error {
		var errs []error
		for _, db := range open {
			errs = append(errs, db.Close())
		}
		return errors.Join(errs...)
	}
	for _, c := range reg.List() {
		if c.Kind != connectors.KindPostgres {
			continue
		}
		db, err := postgres.Open(ctx, c, getenv)
		if err != nil {
			_ = closeAll(ctx)
			return nil, nil, &config.Error{Var: "DSR_CONNECTORS", Problem: err.Error()}
		}
		for _, w := range db.Warnings() {
			logger.Warn("connector mapping", "connector", c.ID, "warning", w)
		}
		open[c.ID] = db
	}
	return open, closeAll, nil
}
