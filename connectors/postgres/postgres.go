// Package postgres is the postgres connector kind: dsrflow acts on a subsidiary's PostgreSQL database
// itself, driven by the connector's mapping in connectors.yaml (connectors.Dataset). Open checks the
// mapping against the database's schema; Run carries out one job in one transaction.
//
// Idempotency: the connector writes nothing of its own into the subsidiary's database (no table of
// applied job ids). Every write is idempotent by nature instead, and counts only rows it changed:
// deleting deleted rows finds none, a mask or a flag is written only where the column does not hold it
// yet (IS DISTINCT FROM), a hashed value (64 lower-case hex digits) is not hashed again, a correction is
// written only where the value differs. So the same job run twice acts once: the second run answers
// not_found (its rows are gone, or their match column was masked) or completed with zero counts.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/dsrflow/dsrflow/connectors"
)

// Connector is an opened postgres connector. It is safe for concurrent use.
type Connector struct {
	conn     connectors.Connector
	db       *sqlx.DB
	columns  map[string]map[string]column // table -> column -> what the schema says
	selects  [][]string                   // per dataset: the columns a job reads, sorted
	warnings []string
}

// column is a column as information_schema describes it.
type column struct {
	DataType  string `db:"data_type"`
	Nullable  string `db:"is_nullable"`
	MaxLength *int   `db:"character_maximum_length"`
}

// Open connects to the database named by the connector's dsn_env variable (read through getenv) and
// checks the mapping against the schema: every table and column must exist with a fitting type. A
// match column without an index is not an error but a warning (Warnings). Errors name the connector,
// the table and the column, never the connection string.
func Open(ctx context.Context, conn connectors.Connector, getenv func(string) string) (*Connector, error) {
	if conn.Kind != connectors.KindPostgres {
		return nil, fmt.Errorf("connector %s: kind is %s, not postgres", conn.ID, conn.Kind)
	}
	if _, err := connectors.NewRegistry(conn); err != nil {
		return nil, err
	}
	dsn := getenv(conn.DSNEnv)
	if dsn == "" {
		return nil, fmt.Errorf("connector %s: variable %s is not set", conn.ID, conn.DSNEnv)
	}
	db, err := sqlx.Open("postgres", dsn)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, fmt.Errorf("connector %s: connect to the database in %s: %s", conn.ID, conn.DSNEnv, redactPassword(err.Error(), dsn))
	}
	c := &Connector{conn: conn, db: db}
	if err := c.checkSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// Warnings are what Open found that works but should be fixed, such as a match column without an
// index. They hold no personal data; the caller logs them.
func (c *Connector) Warnings() []string { return slices.Clone(c.warnings) }

// Close closes the database connections.
func (c *Connector) Close() error { return c.db.Close() }

func (c *Connector) checkSchema(ctx context.Context) error {
	id := c.conn.ID
	var tables []string
	for _, d := range c.conn.Datasets {
		tables = append(tables, d.Table)
	}
	var rows []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
		column
	}
	err := c.db.SelectContext(ctx, &rows, `
		SELECT table_name, column_name, data_type, is_nullable, character_maximum_length
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ANY($1)`, pq.StringArray(tables))
	if err != nil {
		return fmt.Errorf("connector %s: read the schema: %w", id, err)
	}
	c.columns = map[string]map[string]column{}
	for _, r := range rows {
		if c.columns[r.Table] == nil {
			c.columns[r.Table] = map[string]column{}
		}
		c.columns[r.Table][r.Column] = r.column
	}

	var errs []error
	bad := func(table, format string, args ...any) {
		errs = append(errs, fmt.Errorf("connector %s: table %s: "+format, append([]any{id, table}, args...)...))
	}
	for _, d := range c.conn.Datasets {
		cols, ok := c.columns[d.Table]
		if !ok {
			bad(d.Table, "no such table in the connection's current schema")
			continue
		}
		for _, name := range d.Columns() {
			if _, ok := cols[name]; !ok {
				bad(d.Table, "no column %s", name)
			}
		}
		for _, m := range d.Match {
			if m.LinkTable == "" {
				continue
			}
			if _, ok := c.columns[m.LinkTable][m.LinkColumn]; !ok && c.columns[m.LinkTable] != nil {
				bad(m.LinkTable, "no column %s (linked from %s.%s)", m.LinkColumn, d.Table, m.Column)
			}
		}
		for _, name := range []string{d.RestrictColumn, d.OptoutColumn} {
			if col, ok := cols[name]; ok && col.DataType != "boolean" {
				bad(d.Table, "column %s must be boolean, not %s", name, col.DataType)
			}
		}
		if d.Erase == connectors.EraseRetain && d.Retain != nil {
			if col, ok := cols[d.Retain.FromColumn]; ok && !isDate(col.DataType) {
				bad(d.Table, "retain.from_column %s must be a date or timestamp, not %s", d.Retain.FromColumn, col.DataType)
			}
		}
		if d.Erase == connectors.EraseMask {
			for _, name := range slices.Sorted(maps.Keys(d.Mask)) {
				col, ok := cols[name]
				if !ok {
					continue
				}
				switch s := d.Mask[name]; s {
				case connectors.MaskNullify:
					if col.Nullable != "YES" {
						bad(d.Table, "column %s is NOT NULL, so it cannot be masked with nullify", name)
					}
				case connectors.MaskRedact, connectors.MaskHash:
					need := len(connectors.MaskRedacted)
					if s == connectors.MaskHash {
						need = 64
					}
					if !isText(col.DataType) {
						bad(d.Table, "column %s is %s; mask %s needs a text column", name, col.DataType, s)
					} else if col.MaxLength != nil && *col.MaxLength < need {
						bad(d.Table, "column %s holds at most %d characters; mask %s writes %d", name, *col.MaxLength, s, need)
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	for _, d := range c.conn.Datasets {
		for _, m := range d.Match {
			var indexed bool
			err := c.db.GetContext(ctx, &indexed, `
				SELECT EXISTS (
					SELECT 1 FROM pg_index i
					JOIN pg_class t ON t.oid = i.indrelid
					JOIN pg_namespace n ON n.oid = t.relnamespace
					JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
					WHERE n.nspname = current_schema() AND t.relname = $1 AND a.attname = $2)`, d.Table, m.Column)
			if err != nil {
				return fmt.Errorf("connector %s: read the indexes of %s: %w", id, d.Table, err)
			}
			if !indexed {
				c.warnings = append(c.warnings, fmt.Sprintf(
					"connector %s: table %s: no index starts with match column %s, so every request scans the whole table (CREATE INDEX ON %s (%s))",
					id, d.Table, m.Column, pq.QuoteIdentifier(d.Table), pq.QuoteIdentifier(m.Column)))
			}
		}
	}

	// A job reads the mapped columns, and the columns later datasets link to.
	c.selects = make([][]string, len(c.conn.Datasets))
	for i, d := range c.conn.Datasets {
		set := map[string]bool{}
		for col := range d.Categories {
			set[col] = true
		}
		for _, later := range c.conn.Datasets[i+1:] {
			for _, m := range later.Match {
				if m.LinkTable == d.Table {
					set[m.LinkColumn] = true
				}
			}
		}
		c.selects[i] = slices.Sorted(maps.Keys(set))
	}
	return nil
}

func isText(dataType string) bool {
	return dataType == "text" || dataType == "character varying" || dataType == "character"
}

func isDate(dataType string) bool {
	return dataType == "date" || strings.HasPrefix(dataType, "timestamp")
}

var dsnPassword = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// redactPassword removes the connection string's password from an error text: lib/pq quotes parts of
// a connection string it cannot parse.
func redactPassword(text, dsn string) string {
	var secrets []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
	}
	for _, m := range dsnPassword.FindAllStringSubmatch(dsn, -1) {
		secrets = append(secrets, strings.Trim(m[1], "'"))
	}
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "[password]")
		}
	}
	return text
}
