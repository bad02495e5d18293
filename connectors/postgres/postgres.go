// Package postgres is the postgres connector kind: dsrflow acts on a subsidiary's PostgreSQL database
// itself, driven by the connector's mapping in connectors.yaml (Settings, mapping.go; the kind registers itself in kind.go). Open checks the
// mapping, the job table and the role's privileges against the database; Run carries out one job in
// one transaction.
//
// Idempotency: a job that writes is recorded in the connector's job table (Settings.JobTable, default
// dsrflow_jobs) in the same transaction as its changes: job id, action, the result without
// records (counts, exemptions: no personal data) and the time. A job id found there answers with the
// recorded result and changes nothing, so a retry after a lost answer or a crash acts exactly once in the
// subsidiary's database; a lock on the job id serialises two runs of one job. The writes are idempotent
// by themselves too (a mask or a flag is written only where it is not yet, a hashed value is not hashed
// again), which keeps a second erasure request for the same person from changing anything more.
//
// Privileges: Grants lists exactly what the connector's role needs, GrantScript prints it as SQL
// (`starter connector grants`), and Open refuses to start with a role that lacks any of it.
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
	set      Settings
	db       *sqlx.DB
	columns  map[string]map[string]column // table -> column -> what the schema says
	selects  [][]string                   // per dataset: the columns a job reads, sorted
	warnings []string
}

// schemaColumn is one row of columnsQuery.
type schemaColumn struct {
	Table  string `db:"table_name"`
	Column string `db:"column_name"`
	column
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
	// Checked alone: its recipients name partners of the whole configuration, which Load checked.
	alone := conn
	alone.Recipients = nil
	if _, err := connectors.NewRegistry(alone); err != nil {
		return nil, err
	}
	conn = conn.Settings.Defaults(conn)
	set, ok := Of(conn)
	if !ok {
		return nil, fmt.Errorf("connector %s: kind is %s, not postgres", conn.ID, conn.Kind)
	}
	dsn := getenv(set.DSNEnv)
	if dsn == "" {
		return nil, fmt.Errorf("connector %s: variable %s is not set", conn.ID, set.DSNEnv)
	}
	db, err := sqlx.Open("postgres", dsn)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, fmt.Errorf("connector %s: connect to the database in %s: %s", conn.ID, set.DSNEnv, redactPassword(err.Error(), dsn))
	}
	c := &Connector{conn: conn, set: set, db: db}
	err = c.checkSchema(ctx)
	if err == nil {
		err = c.checkJobTable(ctx)
	}
	if err == nil {
		err = c.checkPrivileges(ctx)
	}
	if err != nil {
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
	for _, d := range c.set.Datasets {
		tables = append(tables, d.Table)
	}
	var rows []schemaColumn
	// pg_catalog, not information_schema: information_schema shows only the columns the role holds a
	// privilege on, and a role without its grants must hear that, not that the columns do not exist.
	err := c.db.SelectContext(ctx, &rows, columnsQuery, pq.StringArray(tables))
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
	for _, d := range c.set.Datasets {
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
		if col := ActivityColumn(c.conn.Retention, d, nil); col != "" {
			if got, ok := cols[col]; !ok {
				bad(d.Table, "no column %s (the activity_field of a retention rule)", col)
			} else if !isDate(got.DataType) {
				bad(d.Table, "retention activity_field %s must be a date or timestamp, not %s", col, got.DataType)
			}
		}
		if d.Erase == EraseRetain && d.Retain != nil {
			if col, ok := cols[d.Retain.FromColumn]; ok && !isDate(col.DataType) {
				bad(d.Table, "retain.from_column %s must be a date or timestamp, not %s", d.Retain.FromColumn, col.DataType)
			}
		}
		if d.Erase == EraseMask {
			for _, name := range slices.Sorted(maps.Keys(d.Mask)) {
				col, ok := cols[name]
				if !ok {
					continue
				}
				switch s := d.Mask[name]; s {
				case MaskNullify:
					if col.Nullable != "YES" {
						bad(d.Table, "column %s is NOT NULL, so it cannot be masked with nullify", name)
					}
				case MaskRedact, MaskHash:
					need := len(MaskRedacted)
					if s == MaskHash {
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

	for _, d := range c.set.Datasets {
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
	c.selects = make([][]string, len(c.set.Datasets))
	for i, d := range c.set.Datasets {
		set := map[string]bool{}
		for col := range d.Categories {
			set[col] = true
		}
		for _, later := range c.set.Datasets[i+1:] {
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

// columnsQuery lists the columns of the named tables in the current schema as information_schema.columns
// would (data_type of a domain is its base type's), from pg_catalog, which every role may read.
const columnsQuery = `
	SELECT c.relname AS table_name, a.attname AS column_name,
		format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, NULL) AS data_type,
		CASE WHEN a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) THEN 'NO' ELSE 'YES' END AS is_nullable,
		CASE WHEN (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END) IN ('varchar'::regtype, 'bpchar'::regtype)
			AND (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) > 4
			THEN (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END) - 4 END AS character_maximum_length
	FROM pg_attribute a
	JOIN pg_class c ON c.oid = a.attrelid
	JOIN pg_type t ON t.oid = a.atttypid
	WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`

// jobTableColumns are the job table's columns Run writes and reads.
var jobTableColumns = []string{"job_id", "action", "result", "done_at"}

// checkJobTable checks that a connector that writes has its job table, with the columns Run uses.
func (c *Connector) checkJobTable(ctx context.Context) error {
	if !writes(c.conn) {
		return nil
	}
	table := c.set.JobTable
	var cols []schemaColumn
	if err := c.db.SelectContext(ctx, &cols, columnsQuery, pq.StringArray{table}); err != nil {
		return fmt.Errorf("connector %s: read the schema: %w", c.conn.ID, err)
	}
	if len(cols) == 0 {
		return fmt.Errorf("connector %s: job table %s does not exist in the connection's current schema: a postgres connector "+
			"that writes records each job there, in the job's transaction, so that it acts once. Create it as the tables' owner "+
			"with the SQL that `starter connector grants --connector %s` prints (it also grants the role what the mapping needs): %s",
			c.conn.ID, table, c.conn.ID, strings.Join(strings.Fields(JobTableDDL(table)), " "))
	}
	for _, want := range jobTableColumns {
		if !slices.ContainsFunc(cols, func(r schemaColumn) bool { return r.Column == want }) {
			return fmt.Errorf("connector %s: job table %s has no column %s; expected the table `starter connector grants --connector %s` creates",
				c.conn.ID, table, want, c.conn.ID)
		}
	}
	return nil
}

// checkPrivileges checks that the connection's role holds every privilege Grants lists, so that a
// missing GRANT stops the worker at start rather than failing a request.
func (c *Connector) checkPrivileges(ctx context.Context) error {
	var role string
	if err := c.db.GetContext(ctx, &role, `SELECT current_user`); err != nil {
		return fmt.Errorf("connector %s: read the role: %w", c.conn.ID, err)
	}
	var errs []error
	for _, g := range Grants(c.conn) {
		cols := g.Columns
		if len(cols) == 0 {
			cols = []string{""}
		}
		var missing []string
		for _, col := range cols {
			var ok bool
			var err error
			if col == "" {
				err = c.db.GetContext(ctx, &ok, `SELECT has_table_privilege(format('%I.%I', current_schema(), $1::text), $2)`, g.Table, g.Privilege)
			} else {
				err = c.db.GetContext(ctx, &ok, `SELECT has_column_privilege(format('%I.%I', current_schema(), $1::text), $2, $3)`, g.Table, col, g.Privilege)
			}
			if err != nil {
				return fmt.Errorf("connector %s: table %s: check the privileges: %w", c.conn.ID, g.Table, err)
			}
			if !ok {
				missing = append(missing, col)
			}
		}
		switch {
		case len(missing) == 0:
		case missing[0] == "":
			errs = append(errs, fmt.Errorf("connector %s: table %s: role %s lacks %s (needed for %s)", c.conn.ID, g.Table, role, g.Privilege, g.Why))
		default:
			errs = append(errs, fmt.Errorf("connector %s: table %s: role %s lacks %s on column %s (needed for %s)",
				c.conn.ID, g.Table, role, g.Privilege, strings.Join(missing, ", "), g.Why))
		}
	}
	if len(errs) > 0 {
		errs = append(errs, fmt.Errorf("connector %s: `starter connector grants --connector %s --role %s` prints the GRANTs the mapping needs", c.conn.ID, c.conn.ID, role))
		return errors.Join(errs...)
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
