package devserver

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	p "go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/serialization"
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

// setupPostgres creates the server's databases and their schema unless they exist, checks the number of
// history shards against the one the cluster was created with, and, when forget is set, forgets the
// cluster membership a previous server process left (see forgetMembership). The processes of a cluster
// start at once: they take turns under an advisory lock, so that one creates and the others find.
func setupPostgres(pg *Postgres, shards int32, forget bool, then func(main *config.SQL) error) (main, visibility *config.SQL, err error) {
	main, visibility = pg.sqlConfig(pg.Database), pg.sqlConfig(pg.VisibilityDatabase)
	err = pg.setupLocked(func() error {
		if err := setupDatabase(pg, main, sqlplugin.DbKindMain, "postgresql/v12/temporal/schema.sql"); err != nil {
			return err
		}
		if err := setupDatabase(pg, visibility, sqlplugin.DbKindVisibility, "postgresql/v12/visibility/schema.sql"); err != nil {
			return err
		}
		if err := checkShards(main, shards); err != nil {
			return err
		}
		if forget {
			db, err := sql.NewSQLAdminDB(sqlplugin.DbKindMain, main, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
			if err != nil {
				return fmt.Errorf("temporal membership: %w", err)
			}
			defer db.Close()
			if err := db.Exec(`DELETE FROM cluster_membership`); err != nil {
				return fmt.Errorf("temporal membership: %w", err)
			}
		}
		return then(main)
	})
	if err != nil {
		return nil, nil, err
	}
	return main, visibility, nil
}

// setupLockKey names the advisory lock the processes of a cluster take turns under while they set up.
const setupLockKey = 0x64737266 // "dsrf"

// setupLocked runs fn holding a PostgreSQL advisory lock (on the server, so across databases).
func (pg *Postgres) setupLocked(fn func() error) error {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(pg.User, pg.Password), Host: pg.Addr, Path: "/postgres", RawQuery: "sslmode=disable"}
	if pg.Password == "" {
		u.User = url.User(pg.User)
	}
	db, err := dbsql.Open("postgres", u.String()) // lib/pq, which the server's postgres12 plugin registers
	if err != nil {
		return fmt.Errorf("temporal setup lock: %w", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("temporal setup lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, setupLockKey); err != nil {
		return fmt.Errorf("temporal setup lock: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, setupLockKey) }()
	return fn()
}

// checkShards compares shards with the number of history shards the cluster was created with, if it
// was: the server itself would take the stored number and only log the difference.
func checkShards(main *config.SQL, shards int32) error {
	db, err := sql.NewSQLDB(sqlplugin.DbKindMain, main, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return fmt.Errorf("temporal cluster metadata: %w", err)
	}
	defer func() { _ = db.Close() }()
	row, err := db.GetClusterMetadata(context.Background(), &sqlplugin.ClusterMetadataFilter{ClusterName: clusterName})
	if errors.Is(err, dbsql.ErrNoRows) {
		return nil // the first start: the server records shards
	}
	if err != nil {
		return fmt.Errorf("temporal cluster metadata: %w", err)
	}
	md, err := serialization.NewSerializer().DeserializeClusterMetadata(p.NewDataBlob(row.Data, row.DataEncoding))
	if err != nil {
		return fmt.Errorf("temporal cluster metadata: %w", err)
	}
	if md.HistoryShardCount != shards {
		return fmt.Errorf("temporal history shards: %d given, but this cluster was created with %d and the number cannot change", shards, md.HistoryShardCount)
	}
	return nil
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
