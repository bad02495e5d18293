package postgres

import (
	"context"
	"strings"

	"github.com/lib/pq"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// conflictDetail is an identity conflict's detail, for agents and the subject's answer: no values.
const conflictDetail = "an identifier given with the request matches a row that the verified identity does not reach"

// bind decides what the job's extra identities (those dsrflow did not verify, connectors.Job.Verified)
// may do, once find has read the rows the verified identities select and the rows linked to them.
//
// An extra identity is confirmed when a row the verified identities reach holds it in a column matched
// on its type: it is then the subject's, and selects rows on its own in the datasets the verified
// identities cannot reach (an extension: a table keyed by phone only, once the customer's row holds
// that phone). In a dataset the verified identities can reach (a match on a verified type, or a link),
// an extra identity must select no row they do not: such a row may be someone else's. An identity that
// is not confirmed must select no row at all. Otherwise the job is an identity conflict, and nothing of
// the rows goes anywhere. Confirmed identities join r.ids; the caller reads the rows again.
func (r *run) bind(ctx context.Context) (conflict bool, err error) {
	confirmed := dsrflow.Identity{}
	for _, t := range r.extra.Types() {
		v := connectors.IdentityValue(r.extra, t)
		mine, foreign, elsewhere := 0, 0, 0
		for i, d := range r.c.set.Datasets {
			reachable := false
			var cols []string
			for _, m := range d.Match {
				switch {
				case m.Identity == t:
					cols = append(cols, m.Column)
				case m.LinkTable != "" || connectors.IdentityValue(r.ids, m.Identity) != "":
					reachable = true
				}
			}
			if len(cols) == 0 {
				continue
			}
			q := &query{}
			verified := r.where(i, q)
			if verified == "" {
				verified = "false"
			}
			arg := q.arg(v)
			var byExtra []string
			for _, col := range cols {
				byExtra = append(byExtra, pq.QuoteIdentifier(col)+" = "+arg)
			}
			stmt := "SELECT count(*) FILTER (WHERE COALESCE(" + verified + ", false)), count(*) FILTER (WHERE NOT COALESCE(" + verified + ", false))" +
				" FROM " + pq.QuoteIdentifier(d.Table) + " WHERE (" + strings.Join(byExtra, " OR ") + ")"
			if r.job.Tenant != "" {
				// In a processor, rows of other tenants are other customers' data: not this job's to weigh.
				stmt += " AND " + pq.QuoteIdentifier(d.TenantColumn) + " = " + q.arg(r.job.Tenant)
			}
			var in, out int
			if err := r.tx.QueryRowxContext(ctx, stmt, q.args...).Scan(&in, &out); err != nil {
				return false, r.c.dbError(r.job.Action, d.Table, err)
			}
			mine += in
			if reachable {
				foreign += out
			} else {
				elsewhere += out
			}
		}
		if foreign > 0 || (mine == 0 && elsewhere > 0) {
			return true, nil
		}
		if mine > 0 {
			confirmed = connectors.WithIdentity(confirmed, t, v)
		}
	}
	for _, t := range confirmed.Types() {
		r.ids = connectors.WithIdentity(r.ids, t, connectors.IdentityValue(confirmed, t))
	}
	return false, nil
}
