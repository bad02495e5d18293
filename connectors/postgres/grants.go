package postgres

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lib/pq"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Grant is one privilege a postgres connector's database role needs: on some columns of a table, or
// on the whole table when Columns is empty.
type Grant struct {
	Privilege string // SELECT, UPDATE, DELETE or INSERT
	Table     string
	Columns   []string // sorted
	// Why says which part of the mapping needs it, for the script's comments and Open's errors.
	Why string
}

// Grants returns exactly the privileges the connector's mapping needs, dataset by dataset in mapping
// order, then the job table's: SELECT on the columns jobs read (match, categories, columns later
// datasets link to, retain.from_column, the flag columns it checks), UPDATE only on columns it masks,
// corrects or flags, DELETE only on tables erased by delete, SELECT and INSERT on the job table. A
// connector that only answers access writes nothing, so it needs no job table. A purge job erases the
// rows of datasets holding a retention rule's category, and of datasets linked to them, by their erase
// rules, so it needs what erase needs there, and SELECT on the activity_field.
func Grants(conn connectors.Connector) []Grant {
	supports := conn.Supports
	erase := supports(dsrflow.ActionErase)
	optout := supports(dsrflow.ActionOptout) || supports(dsrflow.ActionWithdrawConsent)
	set, _ := Of(conn)
	purged := set.PurgedDatasets(conn)
	var out []Grant
	for i, d := range set.Datasets {
		read := map[string][]string{} // column -> why
		note := func(set map[string][]string, col, why string) {
			if col != "" && !slices.Contains(set[col], why) {
				set[col] = append(set[col], why)
			}
		}
		for _, m := range d.Match {
			note(read, m.Column, "match")
		}
		for col := range d.Categories {
			note(read, col, "categories")
		}
		note(read, d.TenantColumn, "tenant_column")
		for _, later := range set.Datasets[i+1:] {
			for _, m := range later.Match {
				if m.LinkTable == d.Table {
					note(read, m.LinkColumn, "linked from "+later.Table)
				}
			}
		}
		write := map[string][]string{}
		var deletes []string
		for _, e := range []struct {
			on  bool
			why string
		}{{erase, "erase"}, {purged[i], "purge"}} {
			if !e.on {
				continue
			}
			switch d.Erase {
			case EraseRetain:
				if d.Retain != nil {
					note(read, d.Retain.FromColumn, "retain.from_column")
				}
			case EraseMask:
				for col := range d.Mask {
					note(write, col, "mask on "+e.why)
				}
			case EraseDelete:
				deletes = append(deletes, e.why+": delete")
			}
		}
		if d.Erase == EraseRetain && d.Retain != nil && supports(dsrflow.ActionPurgeKept) {
			// purge_kept reads each kept row's ref (its mapped columns, read above, and from_column),
			// whether it is restricted, and deletes it once its period has ended.
			note(read, d.Retain.FromColumn, "retain.from_column")
			note(read, d.RestrictColumn, "restrict_column")
			deletes = append(deletes, "purge_kept: delete")
		}
		if col := ActivityColumn(conn.Retention, d, nil); col != "" && supports(dsrflow.ActionPurge) {
			note(read, col, "retention activity_field")
		}
		if supports(dsrflow.ActionRectify) {
			for _, col := range d.Rectify {
				note(write, col, "rectify")
			}
		}
		if supports(dsrflow.ActionRestrict) || supports(dsrflow.ActionUnrestrict) {
			note(read, d.RestrictColumn, "restrict_column")
			note(write, d.RestrictColumn, "restrict_column")
		}
		if purged[i] {
			note(read, d.RestrictColumn, "purge skips restricted rows")
		}
		if optout {
			note(read, d.OptoutColumn, "optout_column")
			note(write, d.OptoutColumn, "optout_column")
		}
		out = append(out, columnGrant("SELECT", d.Table, read))
		if len(write) > 0 {
			out = append(out, columnGrant("UPDATE", d.Table, write))
		}
		if len(deletes) > 0 {
			out = append(out, Grant{Privilege: "DELETE", Table: d.Table, Why: strings.Join(deletes, ", ")})
		}
	}
	if writes(conn) {
		out = append(out,
			Grant{Privilege: "SELECT", Table: set.JobTable, Why: "job log"},
			Grant{Privilege: "INSERT", Table: set.JobTable, Why: "job log"})
	}
	return out
}

// columnGrant is one privilege on columns; Why lists the reasons in column order, without repeats.
func columnGrant(privilege, table string, cols map[string][]string) Grant {
	g := Grant{Privilege: privilege, Table: table, Columns: slices.Sorted(maps.Keys(cols))}
	var whys []string
	for _, col := range g.Columns {
		for _, why := range cols[col] {
			if !slices.Contains(whys, why) {
				whys = append(whys, why)
			}
		}
	}
	g.Why = strings.Join(whys, ", ")
	return g
}

// writes reports whether the connector supports an action that changes the database: any but access
// and a processor's locate.
func writes(conn connectors.Connector) bool {
	return slices.ContainsFunc(conn.Actions, func(a dsrflow.Action) bool { return a != dsrflow.ActionAccess && a != dsrflow.ActionLocate })
}

// JobTableDDL is the statement that creates a connector's job table: one row per job that wrote, in the
// job's transaction, holding its result without records (counts, exemptions: no personal data).
func JobTableDDL(table string) string {
	return "CREATE TABLE IF NOT EXISTS " + pq.QuoteIdentifier(table) + ` (
    job_id  text PRIMARY KEY,
    action  text NOT NULL,
    result  jsonb NOT NULL,
    done_at timestamptz NOT NULL DEFAULT now()
);`
}

// GrantScript returns SQL, to be run by the tables' owner in the connector's database and schema, that
// creates the job table (when the connector writes) and gives role exactly the privileges Grants lists:
// it first revokes whatever else the role held on the mapped tables.
func GrantScript(conn connectors.Connector, role string) string {
	var b strings.Builder
	r := pq.QuoteIdentifier(role)
	fmt.Fprintf(&b, "-- dsrflow connector %s: the privileges its mapping needs, for role %s.\n", conn.ID, role)
	b.WriteString("-- Run as the tables' owner, in the database and schema the connector's dsn_env connects to.\n")
	fmt.Fprintf(&b, "-- The role must exist (CREATE ROLE %s LOGIN PASSWORD '...'); tables outside the public schema\n", r)
	b.WriteString("-- also need GRANT USAGE ON SCHEMA.\n")
	if writes(conn) {
		fmt.Fprintf(&b, "\n-- The job log: each job that writes is recorded here in its own transaction, so it acts once.\n")
		set, _ := Of(conn)
		b.WriteString(JobTableDDL(set.JobTable) + "\n")
	}
	var tables []string
	for _, g := range Grants(conn) {
		if !slices.Contains(tables, g.Table) {
			tables = append(tables, g.Table)
		}
	}
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = pq.QuoteIdentifier(t)
	}
	fmt.Fprintf(&b, "\nREVOKE ALL ON TABLE %s FROM %s;\n", strings.Join(quoted, ", "), r)
	for _, g := range Grants(conn) {
		fmt.Fprintf(&b, "GRANT %s", g.Privilege)
		if len(g.Columns) > 0 {
			cols := make([]string, len(g.Columns))
			for i, c := range g.Columns {
				cols[i] = pq.QuoteIdentifier(c)
			}
			fmt.Fprintf(&b, " (%s)", strings.Join(cols, ", "))
		}
		fmt.Fprintf(&b, " ON TABLE %s TO %s; -- %s\n", pq.QuoteIdentifier(g.Table), r, g.Why)
	}
	return b.String()
}
