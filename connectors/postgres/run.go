package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// marketingPurposes are the consent purposes a withdrawal can stop through the optout column.
var marketingPurposes = []string{"marketing", "newsletter"}

// Run carries out the job on the subject's rows in one transaction: it commits only when the whole
// job succeeded. An error means nothing was changed; its text names tables and error codes, never
// values.
func (c *Connector) Run(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	if err := job.Validate(); err != nil {
		return connectors.Result{}, err
	}
	if job.Connector != c.conn.ID {
		return connectors.Result{}, dsrflow.Errorf(dsrflow.EINVALID, "job is for connector %s, not %s", job.Connector, c.conn.ID)
	}
	if !c.conn.Supports(job.Action) {
		return connectors.Result{}, dsrflow.Errorf(dsrflow.EINVALID, "connector %s does not support %s", c.conn.ID, job.Action)
	}
	if err := connectors.CheckTenantJob(c.conn, c.set.Tenants, job); err != nil {
		return connectors.Result{}, err
	}
	access := job.Action == dsrflow.ActionAccess || job.Action == dsrflow.ActionLocate
	opts := &sql.TxOptions{}
	if access {
		// One snapshot for every dataset, and a guarantee that access and locate write nothing.
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := c.db.BeginTxx(ctx, opts)
	if err != nil {
		return connectors.Result{}, c.dbError(job.Action, "", err)
	}
	defer tx.Rollback()

	if !access {
		res, done, err := c.recorded(ctx, tx, job)
		if err != nil || done {
			return res, err
		}
	}
	r := &run{c: c, tx: tx, job: job}
	r.ids, r.extra = job.Split()
	var res connectors.Result
	if job.Action == dsrflow.ActionLocate {
		res, err = r.locate(ctx)
	} else {
		res, err = r.do(ctx)
	}
	if err != nil {
		return connectors.Result{}, err
	}
	res.JobID = job.ID
	if !access && res.Status != connectors.StatusFailed && res.Status != connectors.StatusIdentityConflict {
		// A failed job or a conflict changed nothing; it is not recorded, so that it may be run again
		// once fixed.
		if err := c.record(ctx, tx, job, res); err != nil {
			return connectors.Result{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return connectors.Result{}, c.dbError(job.Action, "", err)
	}
	return res, nil
}

// locate answers which customer tenants hold rows the job's verified identities select, with the
// customer of each (tenants:): ids only, never a row. The tenants are read from the datasets matching on
// an identity; a linked dataset's rows are in their parent rows' tenants. A tenant tenants: does not name
// fails the job for a person: its customer cannot be told, and leaving it out would be silent.
func (r *run) locate(ctx context.Context) (connectors.Result, error) {
	var tenants []string
	for _, d := range r.c.set.Datasets {
		q := &query{}
		var terms []string
		for _, m := range d.Match {
			if v := connectors.IdentityValue(r.ids, m.Identity); m.Identity != "" && v != "" {
				terms = append(terms, pq.QuoteIdentifier(m.Column)+" = "+q.arg(v))
			}
		}
		if len(terms) == 0 {
			continue
		}
		col := pq.QuoteIdentifier(d.TenantColumn)
		stmt := "SELECT DISTINCT " + col + "::text FROM " + pq.QuoteIdentifier(d.Table) + " WHERE (" + strings.Join(terms, " OR ") +
			") AND " + col + " IS NOT NULL ORDER BY 1"
		var found []string
		if err := r.tx.SelectContext(ctx, &found, stmt, q.args...); err != nil {
			return connectors.Result{}, r.c.dbError(r.job.Action, d.Table, err)
		}
		for _, t := range found {
			if _, ok := r.c.set.Tenants.Holding(t); !ok {
				return connectors.Result{}, dsrflow.Errorf(dsrflow.EINVALID, "locate connector %s table %s: a row of the subject is in a tenant that tenants: does not map to a customer; add it to connectors.yaml", r.c.conn.ID, d.Table)
			}
			if !slices.Contains(tenants, t) {
				tenants = append(tenants, t)
			}
		}
	}
	if len(tenants) == 0 {
		return connectors.Result{Status: connectors.StatusNotFound, Counts: map[string]int{"tenants": 0}}, nil
	}
	slices.Sort(tenants)
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"tenants": len(tenants)}}
	for _, t := range tenants {
		h, _ := r.c.set.Tenants.Holding(t)
		res.Tenants = append(res.Tenants, h)
	}
	return res, nil
}

// jobLockClass is the first key of the transaction's advisory lock on a job id ("dsrf"): the second is
// the id's hash, so two runs of one job wait for each other and other jobs do not.
const jobLockClass = 0x64737266

// recorded locks the job id for the transaction and returns the job's recorded result, if the job ran
// before: done is then true and nothing more is to be done.
func (c *Connector) recorded(ctx context.Context, tx *sqlx.Tx, job connectors.Job) (res connectors.Result, done bool, err error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, jobLockClass, job.ID); err != nil {
		return res, false, c.dbError(job.Action, c.set.JobTable, err)
	}
	var data []byte
	err = tx.GetContext(ctx, &data, `SELECT result FROM `+pq.QuoteIdentifier(c.set.JobTable)+` WHERE job_id = $1`, job.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return res, false, nil
	}
	if err != nil {
		return res, false, c.dbError(job.Action, c.set.JobTable, err)
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return res, false, fmt.Errorf("%s connector %s table %s: recorded result of the job: %w", job.Action, c.conn.ID, c.set.JobTable, err)
	}
	res.JobID = job.ID
	return res, true, nil
}

// record logs the job's result in the job table, in the job's transaction. The result of a job that
// writes holds no records: counts, exemptions and a detail without personal data.
func (c *Connector) record(ctx context.Context, tx *sqlx.Tx, job connectors.Job, res connectors.Result) error {
	res.Records = nil
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO `+pq.QuoteIdentifier(c.set.JobTable)+` (job_id, action, result, done_at) VALUES ($1, $2, $3, now())`,
		job.ID, string(job.Action), string(data))
	if err != nil {
		return c.dbError(job.Action, c.set.JobTable, err)
	}
	return nil
}

// run is one job in its transaction.
type run struct {
	c   *Connector
	tx  *sqlx.Tx
	job connectors.Job
	// ids are the identities that select the subject's rows: the verified ones, then also the extra ones
	// confirmed as the subject's (bind). extra are the job's other identities.
	ids, extra dsrflow.Identity
	// found holds, per dataset, the subject's rows as read before any change: the selected columns'
	// values as text (nil for NULL).
	found [][][]*string
	// truncated marks the datasets where access stopped at the connector's access limit.
	truncated []bool
}

// updates reports whether the job may update rows of dataset i: those rows are locked when read (FOR
// UPDATE), so the rows found are the rows changed. Other rows are not locked: locking needs the UPDATE
// privilege, which the role holds only on what it updates (rows erased by delete are locked by the
// DELETE itself, which counts what it deleted).
func (r *run) updates(i int) bool {
	d := r.c.set.Datasets[i]
	switch r.job.Action {
	case dsrflow.ActionErase, dsrflow.ActionPurge:
		return d.Erase == EraseMask
	case dsrflow.ActionRectify:
		return slices.ContainsFunc(d.Rectify, func(col string) bool { _, ok := r.job.Corrections[d.Categories[col]]; return ok })
	case dsrflow.ActionRestrict, dsrflow.ActionUnrestrict:
		return d.RestrictColumn != ""
	case dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent:
		return d.OptoutColumn != ""
	}
	return false
}

func (r *run) do(ctx context.Context) (connectors.Result, error) {
	if r.job.Action == dsrflow.ActionPurgeKept {
		// No subject: the job names the kept rows by their refs.
		return r.purgeKept(ctx)
	}
	if r.job.Action == dsrflow.ActionWithdrawConsent {
		if detail, ok := r.unsupportedPurposes(); !ok {
			return connectors.Result{Status: connectors.StatusFailed, Detail: detail}, nil
		}
	}
	total, err := r.find(ctx)
	if err != nil {
		return connectors.Result{}, err
	}
	if len(r.extra.Types()) > 0 && r.job.Action != dsrflow.ActionPurge {
		conflict, err := r.bind(ctx)
		if err != nil {
			return connectors.Result{}, err
		}
		if conflict {
			return connectors.Result{Status: connectors.StatusIdentityConflict, Detail: conflictDetail}, nil
		}
		if total, err = r.find(ctx); err != nil {
			return connectors.Result{}, err
		}
	}
	if total == 0 {
		if r.job.Action == dsrflow.ActionPurge {
			return connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"purged": 0}}, nil
		}
		return connectors.Result{Status: connectors.StatusNotFound}, nil
	}
	switch r.job.Action {
	case dsrflow.ActionPurge:
		return r.purge(ctx)
	case dsrflow.ActionAccess:
		return r.access(), nil
	case dsrflow.ActionErase:
		return r.erase(ctx)
	case dsrflow.ActionRectify:
		return r.rectify(ctx)
	case dsrflow.ActionRestrict:
		return r.setFlag(ctx, "restricted", true, func(d Dataset) string { return d.RestrictColumn })
	case dsrflow.ActionUnrestrict:
		return r.setFlag(ctx, "unrestricted", false, func(d Dataset) string { return d.RestrictColumn })
	case dsrflow.ActionOptout:
		return r.setFlag(ctx, "opted_out", true, func(d Dataset) string { return d.OptoutColumn })
	case dsrflow.ActionWithdrawConsent:
		res, err := r.setFlag(ctx, "opted_out", true, func(d Dataset) string { return d.OptoutColumn })
		res.Detail, _ = r.unsupportedPurposes()
		return res, err
	}
	return connectors.Result{}, dsrflow.Errorf(dsrflow.EINVALID, "kind postgres does not support %s", r.job.Action)
}

// find reads the subject's rows of every dataset, in order, so that a linked dataset finds its rows
// through its parent's rows. It returns how many rows it found. Rows are streamed from the server; an
// access job reads at most the connector's access limit, over all datasets, and marks the datasets it
// stopped short in (and the datasets linked to them, whose rows it could not all look for).
func (r *run) find(ctx context.Context) (int, error) {
	total := 0
	access := r.job.Action == dsrflow.ActionAccess
	r.found = make([][][]*string, len(r.c.set.Datasets))
	r.truncated = make([]bool, len(r.c.set.Datasets))
	for i, d := range r.c.set.Datasets {
		if access {
			for _, m := range d.Match {
				if j := r.c.datasetIndex(m.LinkTable); j >= 0 && r.truncated[j] {
					r.truncated[i] = true
				}
			}
		}
		q := &query{}
		where := r.where(i, q)
		if where == "" {
			continue
		}
		cols := r.c.selects[i]
		exprs := make([]string, len(cols))
		order := make([]string, len(cols))
		for j, col := range cols {
			exprs[j] = pq.QuoteIdentifier(col) + "::text"
			order[j] = strconv.Itoa(j + 1)
		}
		stmt := "SELECT " + strings.Join(exprs, ", ") + " FROM " + pq.QuoteIdentifier(d.Table) + " WHERE " + where +
			" ORDER BY " + strings.Join(order, ", ")
		budget := r.c.set.AccessLimit - total
		switch {
		case access:
			// One row more than may be returned tells whether there are more.
			stmt += " LIMIT " + q.arg(budget+1)
		case r.updates(i):
			stmt += " FOR UPDATE"
		}
		rows, err := r.tx.QueryContext(ctx, stmt, q.args...)
		if err != nil {
			return 0, r.c.dbError(r.job.Action, d.Table, err)
		}
		for rows.Next() {
			if access && len(r.found[i]) == budget {
				r.truncated[i] = true
				break
			}
			vals := make([]*string, len(cols))
			ptrs := make([]any, len(cols))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return 0, r.c.dbError(r.job.Action, d.Table, err)
			}
			r.found[i] = append(r.found[i], vals)
		}
		if err := rows.Close(); err != nil {
			return 0, r.c.dbError(r.job.Action, d.Table, err)
		}
		if err := rows.Err(); err != nil {
			return 0, r.c.dbError(r.job.Action, d.Table, err)
		}
		total += len(r.found[i])
	}
	return total, nil
}

// datasetIndex returns the index of the dataset of a table, or -1.
func (c *Connector) datasetIndex(table string) int {
	return slices.IndexFunc(c.set.Datasets, func(d Dataset) bool { return d.Table == table })
}

// where returns the condition that selects the subject's rows of dataset i, or "" when nothing can
// match: no identity the dataset matches on was given, and no parent row links to it.
func (r *run) where(i int, q *query) string {
	var terms []string
	if r.job.Action == dsrflow.ActionPurge {
		// A purge has no subject: its rows are those past the cutoff, and the rows linked to them. A NULL
		// activity is not past anything, so those rows stay.
		if col := ActivityColumn(r.c.conn.Retention, r.c.set.Datasets[i], r.job.Categories); col != "" {
			terms = append(terms, pq.QuoteIdentifier(col)+" < "+q.arg(*r.job.Cutoff))
		}
	}
	for _, m := range r.c.set.Datasets[i].Match {
		col := pq.QuoteIdentifier(m.Column)
		if m.Identity != "" {
			if v := connectors.IdentityValue(r.ids, m.Identity); v != "" {
				terms = append(terms, col+" = "+q.arg(v))
			}
			continue
		}
		// The parent's values as text: the server reads the array as the column's type.
		if vals := r.linked(m.LinkTable, m.LinkColumn); len(vals) > 0 {
			terms = append(terms, col+" = ANY("+q.arg(pq.StringArray(vals))+")")
		}
	}
	if len(terms) == 0 {
		return ""
	}
	cond := "(" + strings.Join(terms, " OR ") + ")"
	if r.job.Tenant != "" {
		// A processor acts in the instructing customer's tenant only (connectors.CheckTenantJob).
		cond += " AND " + pq.QuoteIdentifier(r.c.set.Datasets[i].TenantColumn) + " = " + q.arg(r.job.Tenant)
	}
	if col := r.c.set.Datasets[i].RestrictColumn; col != "" && r.job.Action == dsrflow.ActionPurge {
		// A restricted row is only stored, and deleting it is processing the restriction forbids (GDPR
		// Art. 18(2)): a purge leaves it, and the rows linked to it, until the restriction is lifted.
		cond += " AND " + pq.QuoteIdentifier(col) + " IS NOT TRUE"
	}
	return cond
}

// linked returns the distinct non-NULL values of a column in the subject's rows of a table, as found.
func (r *run) linked(table, column string) []string {
	for i, d := range r.c.set.Datasets {
		if d.Table != table {
			continue
		}
		j := slices.Index(r.c.selects[i], column)
		var out []string
		for _, row := range r.found[i] {
			if v := row[j]; v != nil && !slices.Contains(out, *v) {
				out = append(out, *v)
			}
		}
		return out
	}
	return nil
}

func (r *run) access() connectors.Result {
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"records": 0}}
	var short []string
	for i, d := range r.c.set.Datasets {
		n := 0
		for _, row := range r.found[i] {
			rec := connectors.Record{Dataset: d.Table, Fields: map[string]string{}, Categories: map[string]string{}}
			for j, col := range r.c.selects[i] {
				cat, mapped := d.Categories[col]
				if !mapped || row[j] == nil || (len(r.job.Categories) > 0 && !slices.Contains(r.job.Categories, cat)) {
					continue
				}
				rec.Fields[col] = *row[j]
				rec.Categories[col] = cat
			}
			if len(rec.Fields) > 0 {
				res.Records = append(res.Records, rec)
				n++
			}
		}
		res.Counts["records"] += n
		if n > 0 || r.truncated[i] {
			res.Datasets = append(res.Datasets, connectors.DatasetResult{Dataset: d.Table, Counts: map[string]int{"records": n}, Truncated: r.truncated[i]})
		}
		if r.truncated[i] {
			short = append(short, d.Table)
		}
	}
	if len(short) > 0 {
		res.Detail = fmt.Sprintf("stopped at the access limit of %d rows: %s may hold more", r.c.set.AccessLimit, strings.Join(short, ", "))
	}
	return res
}

// erase works children first, so that deleting a parent never meets a foreign key still pointing at
// it; every dataset finds its rows through the values read before any change.
func (r *run) erase(ctx context.Context) (connectors.Result, error) {
	counts := map[string]int{"deleted": 0, "masked": 0, "retained": 0}
	per := make([]map[string]int, len(r.c.set.Datasets))
	var exemptions []connectors.Exemption
	onlyRetained := true
	for i := len(r.c.set.Datasets) - 1; i >= 0; i-- {
		d := r.c.set.Datasets[i]
		if len(r.found[i]) == 0 {
			continue
		}
		if d.Erase != EraseRetain {
			onlyRetained = false
		}
		q := &query{}
		where := r.where(i, q)
		table := pq.QuoteIdentifier(d.Table)
		switch d.Erase {
		case EraseDelete:
			n, err := r.exec(ctx, d.Table, "DELETE FROM "+table+" WHERE "+where, q.args)
			if err != nil {
				return connectors.Result{}, err
			}
			counts["deleted"] += n
			per[i] = map[string]int{"deleted": n}
		case EraseMask:
			var sets, changed []string
			for _, col := range slices.Sorted(maps.Keys(d.Mask)) {
				name := pq.QuoteIdentifier(col)
				var expr string
				switch d.Mask[col] {
				case MaskNullify:
					expr = "NULL"
				case MaskRedact:
					expr = q.arg(MaskRedacted)
				case MaskHash:
					// A value already hashed stays as it is, so a second erase changes nothing.
					expr = "CASE WHEN " + name + " ~ '^[0-9a-f]{64}$' THEN " + name +
						" ELSE encode(sha256(convert_to(" + name + ", 'UTF8')), 'hex') END"
				}
				sets = append(sets, name+" = "+expr)
				changed = append(changed, name+" IS DISTINCT FROM "+expr)
			}
			stmt := "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE " + where +
				" AND (" + strings.Join(changed, " OR ") + ")"
			n, err := r.exec(ctx, d.Table, stmt, q.args)
			if err != nil {
				return connectors.Result{}, err
			}
			counts["masked"] += n
			per[i] = map[string]int{"masked": n}
		case EraseRetain:
			counts["retained"] += len(r.found[i])
			per[i] = map[string]int{"retained": len(r.found[i])}
			if r.job.Action == dsrflow.ActionErase && r.c.conn.Supports(dsrflow.ActionPurgeKept) {
				// dsrflow keeps each until-date with its rows' refs and has them purged when it passes.
				exs, err := r.keptExemptions(ctx, d, where, q.args)
				if err != nil {
					return connectors.Result{}, err
				}
				exemptions = append(exs, exemptions...)
				continue
			}
			ex, err := r.exemption(ctx, d, where, q.args)
			if err != nil {
				return connectors.Result{}, err
			}
			exemptions = append([]connectors.Exemption{ex}, exemptions...)
		default:
			// Parsing requires a rule whenever erase is supported; this guards connectors built in code.
			return connectors.Result{}, dsrflow.Errorf(dsrflow.EINVALID, "connector %s: dataset %s has no erase rule", r.c.conn.ID, d.Table)
		}
	}
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: counts, Exemptions: exemptions, Datasets: r.datasets(per)}
	if onlyRetained {
		res.Status = connectors.StatusExempt
	}
	return res, nil
}

// purge erases the rows past the job's cutoff, and the rows linked to them, by their datasets' erase
// rules, as an erasure does. It answers completed with the rows purged (deleted or masked), and those
// of linked datasets kept on their retain rule; there is no subject to tell of exemptions.
func (r *run) purge(ctx context.Context) (connectors.Result, error) {
	erased, err := r.erase(ctx)
	if err != nil {
		return connectors.Result{}, err
	}
	counts := map[string]int{"purged": erased.Counts["deleted"] + erased.Counts["masked"]}
	if n := erased.Counts["retained"]; n > 0 {
		counts["retained"] = n
	}
	kept, err := r.restrictedKept(ctx)
	if err != nil {
		return connectors.Result{}, err
	}
	if kept > 0 {
		counts["restricted_kept"] = kept
	}
	return connectors.Result{Status: connectors.StatusCompleted, Counts: counts, Datasets: erased.Datasets}, nil
}

// restrictedKept counts the rows past the purge's cutoff that it left because they are restricted, as the
// retention sweep reports them (restricted_kept).
func (r *run) restrictedKept(ctx context.Context) (int, error) {
	total := 0
	for _, d := range r.c.set.Datasets {
		col := ActivityColumn(r.c.conn.Retention, d, r.job.Categories)
		if col == "" || d.RestrictColumn == "" {
			continue
		}
		q := &query{}
		stmt := "SELECT count(*) FROM " + pq.QuoteIdentifier(d.Table) + " WHERE " + pq.QuoteIdentifier(col) + " < " + q.arg(*r.job.Cutoff) +
			" AND " + pq.QuoteIdentifier(d.RestrictColumn) + " IS TRUE"
		var n int
		if err := r.tx.QueryRowContext(ctx, stmt, q.args...).Scan(&n); err != nil {
			return 0, r.c.dbError(r.job.Action, d.Table, err)
		}
		total += n
	}
	return total, nil
}

// exemption describes a retained dataset: until is counted by its keep rule (connectors.KeepRule.Until,
// in the owner's financial year) from the latest from_column among the rows; unknown when every
// from_column is NULL.
func (r *run) exemption(ctx context.Context, d Dataset, where string, args []any) (connectors.Exemption, error) {
	ret := d.Retain
	rule, _ := ret.KeepRule(r.c.conn.Keeping) // Check made sure it exists
	var latest sql.NullTime
	stmt := "SELECT max(" + pq.QuoteIdentifier(ret.FromColumn) + ") FROM " + pq.QuoteIdentifier(d.Table) + " WHERE " + where
	if err := r.tx.GetContext(ctx, &latest, stmt, args...); err != nil {
		return connectors.Exemption{}, r.c.dbError(r.job.Action, d.Table, err)
	}
	var from *time.Time
	if latest.Valid {
		t := latest.Time.UTC()
		if r.c.columns[d.Table][ret.FromColumn].DataType == "date" {
			// A date is a calendar day wherever the server runs.
			y, m, day := latest.Time.Date()
			t = time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
		}
		from = &t
	}
	return rule.Exemption(d.Table, d.CategoryList(), from, r.c.conn.Keeping.Entity.FinancialYearEnd), nil
}

// rectify writes each corrected category to the dataset columns mapped to it and listed under rectify.
// Categories no such column holds are named in Detail; when none could be written the job fails.
func (r *run) rectify(ctx context.Context) (connectors.Result, error) {
	var unrectifiable []string
	byDataset := make([][]string, len(r.c.set.Datasets)) // columns to write, per dataset
	for _, cat := range slices.Sorted(maps.Keys(r.job.Corrections)) {
		held := false
		for i, d := range r.c.set.Datasets {
			for _, col := range d.Rectify {
				if d.Categories[col] == cat {
					byDataset[i] = append(byDataset[i], col)
					held = true
				}
			}
		}
		if !held {
			unrectifiable = append(unrectifiable, cat)
		}
	}
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"rectified": 0}}
	per := make([]map[string]int, len(r.c.set.Datasets))
	if len(unrectifiable) > 0 {
		res.Detail = "not corrected, no rectifiable column holds: " + strings.Join(unrectifiable, ", ")
		if len(unrectifiable) == len(r.job.Corrections) {
			res.Status = connectors.StatusFailed
			return res, nil
		}
	}
	for i, d := range r.c.set.Datasets {
		cols := byDataset[i]
		if len(cols) == 0 || len(r.found[i]) == 0 {
			continue
		}
		q := &query{}
		where := r.where(i, q)
		var sets, changed []string
		for _, col := range cols {
			name := pq.QuoteIdentifier(col)
			v := q.arg(r.job.Corrections[d.Categories[col]])
			sets = append(sets, name+" = "+v)
			changed = append(changed, name+" IS DISTINCT FROM "+v)
		}
		stmt := "UPDATE " + pq.QuoteIdentifier(d.Table) + " SET " + strings.Join(sets, ", ") + " WHERE " + where +
			" AND (" + strings.Join(changed, " OR ") + ")"
		n, err := r.exec(ctx, d.Table, stmt, q.args)
		if err != nil {
			return connectors.Result{}, err
		}
		res.Counts["rectified"] += n
		per[i] = map[string]int{"rectified": n}
	}
	res.Datasets = r.datasets(per)
	return res, nil
}

// setFlag sets a boolean column to value on the subject's rows of every dataset that has one.
func (r *run) setFlag(ctx context.Context, count string, value bool, flag func(Dataset) string) (connectors.Result, error) {
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{count: 0}}
	per := make([]map[string]int, len(r.c.set.Datasets))
	for i, d := range r.c.set.Datasets {
		col := flag(d)
		if col == "" || len(r.found[i]) == 0 {
			continue
		}
		q := &query{}
		where := r.where(i, q)
		name := pq.QuoteIdentifier(col)
		v := strconv.FormatBool(value)
		stmt := "UPDATE " + pq.QuoteIdentifier(d.Table) + " SET " + name + " = " + v + " WHERE " + where +
			" AND " + name + " IS DISTINCT FROM " + v
		n, err := r.exec(ctx, d.Table, stmt, q.args)
		if err != nil {
			return connectors.Result{}, err
		}
		res.Counts[count] += n
		per[i] = map[string]int{count: n}
	}
	res.Datasets = r.datasets(per)
	return res, nil
}

// datasets lists the per-dataset counts in mapping order, leaving out the datasets the job did not act on.
func (r *run) datasets(per []map[string]int) []connectors.DatasetResult {
	var out []connectors.DatasetResult
	for i, counts := range per {
		if counts != nil {
			out = append(out, connectors.DatasetResult{Dataset: r.c.set.Datasets[i].Table, Counts: counts})
		}
	}
	return out
}

// unsupportedPurposes checks a consent withdrawal's purposes: this kind can only stop marketing (the
// optout column). ok is false when no purpose asked for is marketing; the result then says so.
func (r *run) unsupportedPurposes() (detail string, ok bool) {
	if len(r.job.Purposes) == 0 {
		return "consent withdrawn for all purposes; this system records only a marketing opt-out", true
	}
	var other []string
	for _, p := range r.job.Purposes {
		if !slices.Contains(marketingPurposes, p) {
			other = append(other, p)
		}
	}
	if len(other) == 0 {
		return "", true
	}
	detail = "unsupported purposes (this system records only a marketing opt-out): " + strings.Join(other, ", ")
	return detail, len(other) < len(r.job.Purposes)
}

func (r *run) exec(ctx context.Context, table, stmt string, args []any) (int, error) {
	res, err := r.tx.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, r.c.dbError(r.job.Action, table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, r.c.dbError(r.job.Action, table, err)
	}
	return int(n), nil
}

// dbError describes a database failure without its message: PostgreSQL quotes values in messages
// (invalid input syntax for type integer: "..."), and a value may be personal data.
func (c *Connector) dbError(action dsrflow.Action, table string, err error) error {
	where := "connector " + c.conn.ID
	if table != "" {
		where += " table " + table
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s: database error %s (%s)", action, where, pe.Code, pe.Code.Name())
	}
	return fmt.Errorf("%s %s: %w", action, where, err)
}

// query collects a statement's bind parameters.
type query struct{ args []any }

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}
