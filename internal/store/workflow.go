package store

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/dsrflow/dsrflow"
	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The request workflow's tables (request details, verification codes, jobs and their records,
// decisions, exports) all refer to requests(id) and are deleted with their request. The request row
// must therefore be written first — the workflow records it at intake, before anything else — and a
// write for an unknown request fails with ENOTFOUND.

// forUpdate returns the clause that locks the rows a SELECT reads until the transaction ends. SQLite
// needs none: its transactions take the database's write lock when they begin (see OpenSQLite).
func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// isForeignKeyViolation reports whether err is a foreign key constraint failure of either dialect.
func isForeignKeyViolation(err error) bool {
	return isConstraint(err, "23503", sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) // foreign_key_violation
}

// isUniqueViolation reports whether err is a unique constraint failure of either dialect.
func isUniqueViolation(err error) bool {
	return isConstraint(err, "23505", sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) // unique_violation
}

// isConstraint reports whether err is the PostgreSQL error pgCode or one of the SQLite codes.
func isConstraint(err error, pgCode string, liteCodes ...int) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code) == pgCode
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return slices.Contains(liteCodes, liteErr.Code())
	}
	return false
}

// writeErr explains a failed write of a row that belongs to request requestID: ENOTFOUND when the
// request does not exist, else err wrapped with op.
func writeErr(err error, op, requestID string) error {
	if isForeignKeyViolation(err) {
		return dsrflow.Errorf(dsrflow.ENOTFOUND, "request %s not found", requestID)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// nilIfEmpty returns nil for an empty slice, so that both dialects return the same value.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// scanCounts reads rows of (key, subkey, count) into a two-level map, closing rows.
func scanCounts(rows *sql.Rows) (map[string]map[string]int, error) {
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var k1, k2 string
		var n int
		if err := rows.Scan(&k1, &k2, &n); err != nil {
			return nil, err
		}
		if out[k1] == nil {
			out[k1] = map[string]int{}
		}
		out[k1][k2] = n
	}
	return out, rows.Err()
}
