package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/dsrflow/dsrflow/connectors"
)

// Kept rows and purge_kept. An erasure that keeps a dataset's rows (erase: retain) tells dsrflow, per
// until-date, which rows it kept: the exemption's Ref is "pg:" and the rows' own refs. A row's ref is a
// hash of its table, its mapped columns and its retain.from_column, so it names the row without naming
// the subject, and it holds as long as the kept row is left as it was. Once the period has ended dsrflow
// sends purge_kept with those refs, and the rows go: exactly those whose own until-date is past the
// job's cutoff, and not those whose processing is restricted (GDPR Art. 18(2): deleting is processing;
// they stay, counted restricted_kept, and their ref is not confirmed, so the next sweep asks again).

// keptRefPrefix starts the Ref of an exemption of this kind.
const keptRefPrefix = "pg:"

// refsPerExemption is the most rows one exemption's Ref names; more rows kept until one day make more
// exemptions with that day.
const refsPerExemption = 64

// rowRefExpr is the SQL expression of a row's ref in dataset d: 24 hex digits of the SHA-256 of the
// table name and the text of its mapped columns and from_column, in column order (NULL written apart
// from any text).
func rowRefExpr(d Dataset) string {
	cols := slices.Sorted(maps.Keys(d.Categories))
	if d.Retain != nil && d.Retain.FromColumn != "" && !slices.Contains(cols, d.Retain.FromColumn) {
		cols = append(cols, d.Retain.FromColumn)
	}
	parts := []string{pq.QuoteLiteral(d.Table)}
	for _, col := range cols {
		parts = append(parts, "coalesce("+pq.QuoteIdentifier(col)+"::text, chr(30))")
	}
	return "left(encode(sha256(convert_to(concat_ws(chr(31), " + strings.Join(parts, ", ") + "), 'UTF8')), 'hex'), 24)"
}

// keptExemptions describes a retained dataset's rows for a connector that takes purge_kept: one
// exemption per until-date (counted by the keep rule from each row's from_column), with the refs of
// its rows, earliest first. Rows whose from_column is NULL have no known end: one exemption without
// until or ref says they are kept.
func (r *run) keptExemptions(ctx context.Context, d Dataset, where string, args []any) ([]connectors.Exemption, error) {
	ret := d.Retain
	rule, _ := ret.KeepRule(r.c.conn.Keeping) // Check made sure it exists
	stmt := "SELECT " + rowRefExpr(d) + ", " + pq.QuoteIdentifier(ret.FromColumn) + " FROM " + pq.QuoteIdentifier(d.Table) +
		" WHERE " + where + " ORDER BY 2, 1"
	rows, err := r.tx.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, r.c.dbError(r.job.Action, d.Table, err)
	}
	defer rows.Close()
	refs := map[time.Time][]string{}
	var untils []time.Time
	undated := false
	for rows.Next() {
		var ref string
		var from sql.NullTime
		if err := rows.Scan(&ref, &from); err != nil {
			return nil, r.c.dbError(r.job.Action, d.Table, err)
		}
		if !from.Valid {
			undated = true
			continue
		}
		until := rule.Until(r.c.fromDate(d, from.Time), r.c.conn.Keeping.Entity.FinancialYearEnd)
		if _, ok := refs[until]; !ok {
			untils = append(untils, until)
		}
		if !slices.Contains(refs[until], ref) {
			refs[until] = append(refs[until], ref)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, r.c.dbError(r.job.Action, d.Table, err)
	}
	slices.SortFunc(untils, time.Time.Compare)
	var out []connectors.Exemption
	if undated {
		out = append(out, rule.Exemption(d.Table, d.CategoryList(), nil, r.c.conn.Keeping.Entity.FinancialYearEnd))
	}
	for _, until := range untils {
		// dsrflow's kept table has the ref in its primary key, and a PostgreSQL index entry holds at most
		// about 2700 bytes: a ref names at most refsPerExemption rows (25 bytes each).
		for chunk := range slices.Chunk(refs[until], refsPerExemption) {
			ex := rule.Exemption(d.Table, d.CategoryList(), nil, r.c.conn.Keeping.Entity.FinancialYearEnd)
			u := until
			ex.Until = &u
			ex.Ref = keptRefPrefix + strings.Join(chunk, ",")
			out = append(out, ex)
		}
	}
	return out, nil
}

// fromDate is a from_column value as the keep rule counts it: a date column is a calendar day wherever
// the server runs.
func (c *Connector) fromDate(d Dataset, t time.Time) time.Time {
	if c.columns[d.Table][d.Retain.FromColumn].DataType == "date" {
		y, m, day := t.Date()
		return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	}
	return t.UTC()
}

// purgeKept deletes the kept rows the job names whose own until-date has passed by the job's cutoff,
// skipping restricted ones. It answers completed with purged (rows deleted), kept_refs (the job's refs
// fully handled: every row under them deleted or already gone) and restricted_kept when rows stayed for
// a restriction; a ref this connector did not give is a failed job, and nothing is deleted.
func (r *run) purgeKept(ctx context.Context) (connectors.Result, error) {
	type named struct {
		rows []string // row refs
	}
	byDataset := map[int][]*named{}
	var order []int
	for _, k := range r.job.Kept {
		i := r.c.datasetIndex(k.Dataset)
		if i < 0 || r.c.set.Datasets[i].Erase != EraseRetain || r.c.set.Datasets[i].Retain == nil {
			return connectors.Result{Status: connectors.StatusFailed, Detail: fmt.Sprintf("dataset %s is not a kept dataset of connector %s", k.Dataset, r.c.conn.ID)}, nil
		}
		list, ok := strings.CutPrefix(k.Ref, keptRefPrefix)
		if !ok || list == "" {
			return connectors.Result{Status: connectors.StatusFailed, Detail: fmt.Sprintf("a ref for dataset %s was not given by connector %s", k.Dataset, r.c.conn.ID)}, nil
		}
		if _, seen := byDataset[i]; !seen {
			order = append(order, i)
		}
		byDataset[i] = append(byDataset[i], &named{rows: strings.Split(list, ",")})
	}
	slices.Sort(order)
	counts := map[string]int{"purged": 0, "kept_refs": 0}
	per := make([]map[string]int, len(r.c.set.Datasets))
	for _, i := range order {
		d := r.c.set.Datasets[i]
		rule, _ := d.Retain.KeepRule(r.c.conn.Keeping)
		var all []string
		for _, n := range byDataset[i] {
			all = append(all, n.rows...)
		}
		restrict := "false"
		if d.RestrictColumn != "" {
			restrict = "coalesce(" + pq.QuoteIdentifier(d.RestrictColumn) + ", false)"
		}
		ref := rowRefExpr(d)
		stmt := "SELECT " + ref + ", " + pq.QuoteIdentifier(d.Retain.FromColumn) + ", " + restrict + " FROM " + pq.QuoteIdentifier(d.Table) +
			" WHERE " + ref + " = ANY($1)"
		rows, err := r.tx.QueryContext(ctx, stmt, pq.StringArray(all))
		if err != nil {
			return connectors.Result{}, r.c.dbError(r.job.Action, d.Table, err)
		}
		stays := map[string]bool{} // row refs with a row that is not deleted
		var due []string
		restricted := 0
		for rows.Next() {
			var rowRef string
			var from sql.NullTime
			var isRestricted bool
			if err := rows.Scan(&rowRef, &from, &isRestricted); err != nil {
				rows.Close()
				return connectors.Result{}, r.c.dbError(r.job.Action, d.Table, err)
			}
			// The until-date is the last day kept: the row may go from the next day on.
			ends := from.Valid && !r.job.Cutoff.Before(rule.Until(r.c.fromDate(d, from.Time), r.c.conn.Keeping.Entity.FinancialYearEnd).AddDate(0, 0, 1))
			switch {
			case !ends:
				stays[rowRef] = true
			case isRestricted:
				stays[rowRef] = true
				restricted++
			case !slices.Contains(due, rowRef):
				due = append(due, rowRef)
			}
		}
		if err := rows.Close(); err != nil {
			return connectors.Result{}, r.c.dbError(r.job.Action, d.Table, err)
		}
		// Rows under one ref are alike in every column the ref reads: a restricted one keeps them all.
		due = slices.DeleteFunc(due, func(ref string) bool { return stays[ref] })
		n := 0
		if len(due) > 0 {
			del := "DELETE FROM " + pq.QuoteIdentifier(d.Table) + " WHERE " + ref + " = ANY($1) AND NOT " + restrict
			if n, err = r.exec(ctx, d.Table, del, []any{pq.StringArray(due)}); err != nil {
				return connectors.Result{}, err
			}
		}
		counts["purged"] += n
		if restricted > 0 {
			counts["restricted_kept"] += restricted
		}
		per[i] = map[string]int{"purged": n}
		for _, k := range byDataset[i] {
			if !slices.ContainsFunc(k.rows, func(ref string) bool { return stays[ref] }) {
				counts["kept_refs"]++
			}
		}
	}
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: counts, Datasets: r.datasets(per)}
	if counts["kept_refs"] < len(r.job.Kept) {
		res.Detail = fmt.Sprintf("%d of the %d kept records named stay: not yet past their own until-date, or restricted", len(r.job.Kept)-counts["kept_refs"], len(r.job.Kept))
	}
	return res, nil
}
