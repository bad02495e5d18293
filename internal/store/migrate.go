package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFS embed.FS

// migrateLockKey is the pg_advisory_lock key that serialises migrators across processes
// (the bytes of "dsrflow" read as an integer, chosen to not collide with other applications' keys).
const migrateLockKey int64 = 0x647372666c6f77

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's migrations in version order. File names are NNNN_name.sql with
// distinct versions from 1; anything else is a build mistake and is reported. Gaps are allowed: changes
// developed in parallel reserve their numbers and may land in any order, and Migrate applies every
// migration not yet recorded, whatever its number.
func migrations(dialect string) ([]migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if i > 0 && m.version == ms[i-1].version {
			return nil, fmt.Errorf("migrations/%s: two migrations have version %d", dialect, m.version)
		}
	}
	return ms, nil
}

// Migrate applies the migrations not yet recorded in schema_migrations, in order, each in its own
// transaction. It is safe to call from several processes at once: on PostgreSQL the callers queue on an
// advisory lock, on SQLite on the database's write lock. A second call applies nothing.
//
// Migration 0006 also encrypts, in its transaction, the personal data earlier versions stored in clear
// (encryptExisting): a store that holds such data must be opened WithKeys to migrate.
func (s *Store) Migrate(ctx context.Context) error { return s.migrate(ctx, 0) }

// migrate applies the migrations up to version upTo (0: all).
func (s *Store) migrate(ctx context.Context, upTo int) error {
	ms, err := migrations(s.dialect)
	if err != nil {
		return err
	}
	if upTo > 0 && upTo < len(ms) {
		ms = ms[:upTo]
	}
	// One connection for the whole run: PostgreSQL advisory locks belong to a session.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return unavailable("migrate", err)
	}
	defer conn.Close()

	if s.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer func() {
			// Unlock even if ctx is done; if that fails, discard the session, which releases the lock.
			if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrateLockKey); err != nil {
				_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // the error is the point: the pool drops the session
			}
		}()
	}

	if err := s.migrateTx(ctx, conn, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.schemaMigrationsDDL())
		return err
	}); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}

	encrypted := 0
	for _, m := range ms {
		err := s.migrateTx(ctx, conn, func(tx *sql.Tx) error {
			// Checked inside the transaction: on SQLite another process may have applied it since.
			var n int
			if err := tx.QueryRowContext(ctx, s.rebind(`SELECT count(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if m.version == openDuplicatesMigration {
				if err := s.checkOpenDuplicates(ctx, tx); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if m.version == encryptionMigration {
				n, err := s.encryptExisting(ctx, tx)
				if err != nil {
					return err
				}
				encrypted = n
			}
			if m.version == disclosureCaseMigration {
				n, err := s.sealDisclosureCases(ctx, tx)
				if err != nil {
					return err
				}
				encrypted += n
			}
			_, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, s.timeArg(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s %04d_%s: %w", s.dialect, m.version, m.name, err)
		}
	}
	if encrypted > 0 {
		if err := s.scrubAfterEncryption(ctx, conn); err != nil {
			return fmt.Errorf("migrate %s: after encrypting %d rows: %w", s.dialect, encrypted, err)
		}
	}
	return nil
}

// migrateTx runs fn in a transaction on conn. On SQLite it is BEGIN IMMEDIATE (see OpenSQLite).
func (s *Store) migrateTx(ctx context.Context, conn *sql.Conn, fn func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Store) schemaMigrationsDDL() string {
	if s.dialect == Postgres {
		return `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL)`
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL)`
}

// Migration is a row of schema_migrations.
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

// Migrations returns the applied migrations in version order, for operators and tests.
func (s *Store) Migrations(ctx context.Context) ([]Migration, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	defer rows.Close()
	var out []Migration
	for rows.Next() {
		var m Migration
		var at dbTime
		if err := rows.Scan(&m.Version, &m.Name, &at); err != nil {
			return nil, fmt.Errorf("list migrations: %w", err)
		}
		m.AppliedAt = at.Time
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	return out, nil
}
