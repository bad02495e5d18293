// Package store is dsrflow's database: the searchable index of requests, the hash-chained audit log and
// the outbox. One schema runs on PostgreSQL (production) and SQLite (the embedded default); the
// conformance suite in store/storetest holds both to the same behaviour.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // driver "postgres"
	_ "modernc.org/sqlite" // driver "sqlite"
)

// Dialect names, as returned by Store.Dialect.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Store is a handle on the database. It is safe for concurrent use.
type Store struct {
	db      *sqlx.DB
	dialect string
	keys    *payload.KeyRing // wraps the requests' data keys (vault.go); nil: no personal data
}

// OpenPostgres connects to the PostgreSQL database at url (a lib/pq URL or key=value string) and checks
// that it answers. Call Migrate before use. Personal data needs WithKeys (see vault.go).
func OpenPostgres(ctx context.Context, url string, opts ...Option) (*Store, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, unavailable("open postgres", err)
	}
	s := &Store{db: db, dialect: Postgres}
	for _, o := range opts {
		o(s)
	}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// OpenSQLite opens (creating if needed) the SQLite database file at path. Call Migrate before use.
//
// The database runs in WAL mode with foreign keys on. The pool holds a single connection: SQLite allows
// one writer at a time, and queueing writers in Go rather than in SQLite's busy loop means concurrent
// goroutines never see "database is locked". Transactions start with BEGIN IMMEDIATE and busy_timeout
// is set, so other processes opening the same file (a CLI beside the worker) wait for the write lock
// instead of failing or interleaving. Personal data needs WithKeys (see vault.go).
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, dsrflow.Errorf(dsrflow.EINVALID, "sqlite store needs a file path")
	}
	// The file holds personal data (encrypted) and the keyed hashes of subjects' addresses: 0600, like
	// the -wal and -shm files SQLite creates beside it with the same mode.
	if err := PrivateFile(path); err != nil {
		return nil, unavailable("open sqlite", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Deleted and overwritten content is zeroed in the file, so personal data replaced by its ciphertext
	// (migration 0006) or a shredded data key leaves no copy in free pages.
	q.Add("_pragma", "secure_delete(1)")
	q.Set("_txlock", "immediate")
	// A file: URI with an escaped path, so a '?' or '#' in the path cannot be read as parameters.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		return nil, unavailable("open sqlite", err)
	}
	db.SetMaxOpenConns(1)
	// Keep the one connection: closing it would drop per-connection pragmas only to re-apply them.
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, dialect: SQLite}
	for _, o := range opts {
		o(s)
	}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that the database answers. It returns EUNAVAILABLE when it does not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return unavailable("ping "+s.dialect, err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error { return s.db.Close() }

// Dialect returns "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// UnsafeDB returns the underlying database handle, bypassing every guarantee Store makes (hash chain,
// idempotency, UTC times). It exists for tests that tamper with rows as an attacker with database access
// would, and for one-off operator tooling; application code must not use it.
func (s *Store) UnsafeDB() *sqlx.DB { return s.db }

// rebind turns '?' placeholders into the dialect's.
func (s *Store) rebind(query string) string { return s.db.Rebind(query) }

// inTx runs fn in a transaction, committing when fn returns nil. On SQLite the transaction holds the
// write lock from its start (BEGIN IMMEDIATE), so a read followed by a write cannot be interleaved.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// unavailable wraps a connection failure so that dsrflow.ErrorCode reports EUNAVAILABLE while the cause
// stays in the error text for logs. Driver errors about connecting carry no personal data.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %w", dsrflow.Errorf(dsrflow.EUNAVAILABLE, "store unavailable (%s)", op), err)
}

// Times are stored at microsecond precision in UTC: timestamptz on PostgreSQL, INTEGER microseconds since
// the Unix epoch on SQLite (whose text timestamps neither sort nor compare reliably).

// micro normalises t to what the database will return.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeArg returns t as a query argument for the dialect.
func (s *Store) timeArg(t time.Time) any {
	t = micro(t)
	if s.dialect == SQLite {
		return t.UnixMicro()
	}
	return t
}

// nullTimeArg is timeArg for optional times; nil stores NULL.
func (s *Store) nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.timeArg(*t)
}

// dbTime scans a time column of either dialect.
type dbTime struct {
	Time  time.Time
	Valid bool
}

func (d *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d = dbTime{}
	case int64:
		*d = dbTime{Time: time.UnixMicro(v).UTC(), Valid: true}
	case time.Time:
		*d = dbTime{Time: micro(v), Valid: true}
	default:
		return fmt.Errorf("scan time: unsupported type %T", v)
	}
	return nil
}

// ptr returns the time or nil when the column was NULL.
func (d dbTime) ptr() *time.Time {
	if !d.Valid {
		return nil
	}
	t := d.Time
	return &t
}

// notFound turns sql.ErrNoRows into ENOTFOUND with the given message and wraps other errors with op.
func notFound(err error, op, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, format, args...)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// limit applies the default page size of 100 to l.
func limit(l int) int {
	if l <= 0 {
		return 100
	}
	return l
}
