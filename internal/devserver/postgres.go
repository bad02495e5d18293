package devserver

import (
	"fmt"
	"io"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	p "go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	pgplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/common/resolver"
	dbschemas "go.temporal.io/server/schema"
)

// Postgres places the server's state in PostgreSQL (Temporal's postgres12 plugin), as a self-hosted
// production cluster keeps it, instead of in a SQLite file.
type Postgres struct {
	// Addr is the PostgreSQL server's host:port; User and Password log in to it.
	Addr, User, Password string
	// Database holds the server's state and VisibilityDatabase its visibility index (workflow lists and
	// search attributes). Each is created with Temporal's schema on first start.
	Database, VisibilityDatabase string
}

func (pg *Postgres) sqlConfig(database string) *config.SQL {
	return &config.SQL{
		PluginName: pgplugin.PluginName, DatabaseName: database, ConnectAddr: pg.Addr, ConnectProtocol: "tcp",
		User: pg.User, Password: pg.Password,
		// Four services share the server's PostgreSQL with dsrflow's processes: keep the pools small.
		MaxConns: 10, MaxIdleConns: 10,
	}
}

// setupPostgres creates the server's databases and their schema unless they exist, and forgets the
// cluster membership a previous server process left (see forgetMembership).
func setupPostgres(pg *Postgres) (main, visibility *config.SQL, err error) {
	main, visibility = pg.sqlConfig(pg.Database), pg.sqlConfig(pg.VisibilityDatabase)
	if err := setupDatabase(pg, main, sqlplugin.DbKindMain, "postgresql/v12/temporal/schema.sql"); err != nil {
		return nil, nil, err
	}
	if err := setupDatabase(pg, visibility, sqlplugin.DbKindVisibility, "postgresql/v12/visibility/schema.sql"); err != nil {
		return nil, nil, err
	}
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindMain, main, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return nil, nil, fmt.Errorf("temporal membership: %w", err)
	}
	defer db.Close()
	if err := db.Exec(`DELETE FROM cluster_membership`); err != nil {
		return nil, nil, fmt.Errorf("temporal membership: %w", err)
	}
	return main, visibility, nil
}

// setupDatabase creates cfg's database and loads the full schema at the version this server expects,
// as `temporal-sql-tool setup-schema` would; a database that already has a schema version is left alone.
func setupDatabase(pg *Postgres, cfg *config.SQL, kind sqlplugin.DbKind, schemaFile string) error {
	adminCfg := pg.sqlConfig("postgres")
	admin, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, adminCfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("temporal database %s: %w", cfg.DatabaseName, err)
	}
	err = admin.CreateDatabase(cfg.DatabaseName) // an existing one is no error
	_ = admin.Close()
	if err != nil {
		return fmt.Errorf("temporal database %s: %w", cfg.DatabaseName, err)
	}
	db, err := sql.NewSQLAdminDB(kind, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("temporal database %s: %w", cfg.DatabaseName, err)
	}
	defer db.Close()
	if v, err := db.ReadSchemaVersion(cfg.DatabaseName); err == nil && v != "" {
		return nil
	}
	f, err := dbschemas.Assets().Open(schemaFile)
	if err != nil {
		return fmt.Errorf("temporal schema %s: %w", schemaFile, err)
	}
	defer f.Close()
	stmts, err := p.LoadAndSplitQueryFromReaders([]io.Reader{f})
	if err != nil {
		return fmt.Errorf("temporal schema %s: %w", schemaFile, err)
	}
	if err := db.CreateSchemaVersionTables(); err != nil {
		return fmt.Errorf("temporal schema %s: %w", cfg.DatabaseName, err)
	}
	for _, stmt := range stmts {
		if err := db.Exec(stmt); err != nil {
			return fmt.Errorf("temporal schema %s: %w", cfg.DatabaseName, err)
		}
	}
	// Recorded last: a database whose loading was cut short has no version, and the next start fails on
	// its tables rather than running on half a schema.
	if err := db.UpdateSchemaVersion(cfg.DatabaseName, db.ExpectedVersion(), db.ExpectedVersion()); err != nil {
		return fmt.Errorf("temporal schema %s: %w", cfg.DatabaseName, err)
	}
	return nil
}
