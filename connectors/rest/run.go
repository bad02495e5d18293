package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// record is one record the API returned: the decoded object, and its id as text.
type record struct {
	id     string
	fields map[string]any
}

// found is what one read found in one dataset.
type found struct {
	records   []record
	truncated bool // max_pages was reached with more to read
}

// Run carries out a job. Results are final. An answer that does not have the declared shape, a code
// the connector does not expect, or a job the configuration cannot do is a permanent *CallError whose
// message names the connector, dataset and step, never a value: the job goes to a person.
func (r *Runner) Run(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	if !r.conn.Supports(job.Action) {
		return connectors.Result{}, r.fail(0, "job %s: the connector does not support %s", job.ID, job.Action)
	}
	if err := connectors.CheckTenantJob(r.conn, r.set.Tenants, job); err != nil {
		return connectors.Result{}, r.fail(0, "job %s: %s", job.ID, dsrflow.ErrorMessage(err))
	}
	var res connectors.Result
	var err error
	switch job.Action {
	case dsrflow.ActionLocate:
		res, err = r.locateTenants(ctx, job)
	case dsrflow.ActionAccess:
		res, err = r.access(ctx, job)
	case dsrflow.ActionPurge:
		res, err = r.purge(ctx, job)
	case dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict, dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent:
		res, err = r.act(ctx, job)
	default:
		return connectors.Result{}, r.fail(0, "job %s: kind rest does not carry out %s", job.ID, job.Action)
	}
	res.JobID = job.ID
	return res, err
}

// identityRefs returns the identity types a request's templates reference.
func identityRefs(rt requestTemplates) []string {
	var out []string
	for _, ref := range rt.refs() {
		if connectors.KnownIdentity(ref) {
			out = append(out, ref)
		}
	}
	return out
}

// identityVars returns the values of the types from id, and whether id holds all of them.
func identityVars(types []string, id dsrflow.Identity) (vars, bool) {
	v := vars{}
	for _, t := range types {
		val := connectors.IdentityValue(id, t)
		if val == "" {
			return nil, false
		}
		v[t] = val
	}
	return v, true
}

// merge returns the identities of a and b together (b's where both hold a type).
func merge(a, b dsrflow.Identity) dsrflow.Identity {
	for _, t := range b.Types() {
		a = connectors.WithIdentity(a, t, connectors.IdentityValue(b, t))
	}
	return a
}

// find reads every dataset that want selects by the job's verified identities. Identity binding
// (PROTOCOL.md): where an extra identity of the job is one a dataset is read by, the dataset is read
// with it too, and a record found so that the verified identities do not reach makes the job a
// conflict. found[i] is nil for a dataset not read.
func (r *Runner) find(ctx context.Context, job connectors.Job, want func(compiled) bool) (out []*found, conflict bool, err error) {
	verified, extra := job.Split()
	all := merge(verified, extra)
	out = make([]*found, len(r.datasets))
	for i, d := range r.datasets {
		if !want(d) {
			continue
		}
		types := identityRefs(d.read)
		mine := map[string]bool{}
		if v, ok := identityVars(types, verified); ok {
			withTenant(v, job)
			f, err := r.read(ctx, d, d.Name+": read", d.read, d.Read, v)
			if err != nil {
				return nil, false, err
			}
			out[i] = &f
			for _, rec := range f.records {
				mine[rec.id] = true
			}
		}
		usesExtra := slices.ContainsFunc(types, func(t string) bool { return connectors.IdentityValue(extra, t) != "" })
		if v, ok := identityVars(types, all); ok && usesExtra {
			withTenant(v, job)
			f, err := r.read(ctx, d, d.Name+": read by an unverified identifier", d.read, d.Read, v)
			if err != nil {
				return nil, false, err
			}
			for _, rec := range f.records {
				if !mine[rec.id] && !holds(rec, verified) {
					return nil, true, nil
				}
			}
		}
	}
	return out, false, nil
}

// withTenant adds a processor job's tenant to v, for {{tenant}}.
func withTenant(v vars, job connectors.Job) vars {
	if job.Tenant != "" {
		v[refTenant] = job.Tenant
	}
	return v
}

// locateTenants sends a processor's locate request with the job's verified identities, page by page
// as its pagination says, and answers the tenants its answers name, each once with its customer from
// tenants:; ids only, never a record. A tenant tenants: does not map fails the job for a person: its
// customer cannot be told, and leaving it out would be silent. So do more pages than max_pages: the
// tenants on the pages not read would be left out unsaid.
func (r *Runner) locateTenants(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	l := r.set.Locate
	if l == nil {
		return connectors.Result{}, r.fail(0, "job %s: the connector has no locate: request", job.ID)
	}
	verified, _ := job.Split()
	notFound := connectors.Result{Status: connectors.StatusNotFound, Counts: map[string]int{"tenants": 0}}
	v, ok := identityVars(identityRefs(r.locate), verified)
	if !ok {
		return notFound, nil // the request needs an identity the subject did not verify
	}
	var tenants []string
	page := 0
	truncated, err := r.pages(ctx, "locate", l.Request, r.locate, v, l.Pagination, func(data []byte) (int, any, error) {
		page++
		body, items, err := r.list("locate", data, l.Results, "results")
		if err != nil {
			return 0, nil, err
		}
		for k, item := range items {
			id, ok := text(item)
			if m, isObject := item.(map[string]any); isObject {
				id, ok = text(lookup(m, l.Tenant))
			}
			if !ok || id == "" {
				return 0, nil, r.fail(0, "locate: page %d: tenant %d of the answer has no %s", page, k+1, l.Tenant)
			}
			if _, mapped := r.set.Tenants.Holding(id); !mapped {
				return 0, nil, r.fail(0, "locate: page %d: the answer names a tenant that tenants: does not map to a customer; add it to connectors.yaml", page)
			}
			if !slices.Contains(tenants, id) {
				tenants = append(tenants, id)
			}
		}
		return len(items), body, nil
	})
	if err != nil {
		return connectors.Result{}, err
	}
	if truncated {
		return connectors.Result{}, r.fail(0, "locate: more tenants than %d pages hold: no tenant was reported (raise pagination.max_pages)", l.Pagination.MaxPages)
	}
	if len(tenants) == 0 {
		return notFound, nil
	}
	slices.Sort(tenants)
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"tenants": len(tenants)}}
	for _, t := range tenants {
		h, _ := r.set.Tenants.Holding(t)
		res.Tenants = append(res.Tenants, h)
	}
	return res, nil
}

// holds reports whether the record holds a verified identity anywhere in it: a record found by an
// extra identifier that also carries the verified email is the verified person's.
func holds(rec record, verified dsrflow.Identity) bool {
	var values []string
	for _, t := range verified.Types() {
		if v := strings.TrimSpace(connectors.IdentityValue(verified, t)); v != "" {
			values = append(values, v)
		}
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return slices.ContainsFunc(values, func(want string) bool { return strings.EqualFold(strings.TrimSpace(v), want) })
		case map[string]any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(rec.fields)
}

func conflictResult() connectors.Result {
	return connectors.Result{Status: connectors.StatusIdentityConflict, Detail: "an identifier given but not verified belongs to a record the verified identity does not reach"}
}

// access returns the kept fields of every record found, each with its category.
func (r *Runner) access(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	found, conflict, err := r.find(ctx, job, func(compiled) bool { return true })
	if err != nil {
		return connectors.Result{}, err
	}
	if conflict {
		return conflictResult(), nil
	}
	res := connectors.Result{Status: connectors.StatusNotFound, Counts: map[string]int{"records": 0}}
	for i, f := range found {
		if f == nil {
			continue
		}
		d := r.datasets[i]
		n := 0
		for _, rec := range f.records {
			out := connectors.Record{Dataset: d.Name, Fields: map[string]string{}, Categories: map[string]string{}}
			for _, path := range slices.Sorted(maps.Keys(d.Fields)) {
				cat := d.Fields[path]
				if len(job.Categories) > 0 && !slices.Contains(job.Categories, cat) {
					continue
				}
				if v, ok := text(lookup(rec.fields, path)); ok {
					out.Fields[path], out.Categories[path] = v, cat
				}
			}
			if len(out.Fields) > 0 {
				res.Records = append(res.Records, out)
				n++
			}
		}
		res.Counts["records"] += n
		res.Datasets = append(res.Datasets, connectors.DatasetResult{Dataset: d.Name, Counts: map[string]int{"records": n}, Truncated: f.truncated})
		if f.truncated {
			res.Detail = strings.TrimPrefix(res.Detail+"; ", "; ") + "dataset " + d.Name + " holds more records than max_pages reads"
		}
		if len(f.records) > 0 {
			res.Status = connectors.StatusCompleted
		}
	}
	return res, nil
}

// counted is what an action's result counts per record it acted on.
func counted(a dsrflow.Action, d Dataset) string {
	switch a {
	case dsrflow.ActionErase:
		if d.Erase.Mode == ModeMask {
			return "masked"
		}
		return "deleted"
	case dsrflow.ActionRectify:
		return "rectified"
	case dsrflow.ActionRestrict:
		return "restricted"
	case dsrflow.ActionOptout:
		return "opted_out"
	case dsrflow.ActionWithdrawConsent:
		return "consent_withdrawn"
	}
	return string(a)
}

// act sends the action's request for every record found in the datasets that have one. Everything is
// read first: a conflict, or a read that stopped at max_pages, acts on nothing. A record already gone
// (the not-found codes) counts as done, so a retried job does not fail on what its first try did.
func (r *Runner) act(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	a := job.Action
	// A rectification reads every dataset, so that a category held where no request can write it is
	// answered not_possible rather than not_held.
	found, conflict, err := r.find(ctx, job, func(d compiled) bool { _, ok := d.actions[a]; return ok || a == dsrflow.ActionRectify })
	if err != nil {
		return connectors.Result{}, err
	}
	if conflict {
		return conflictResult(), nil
	}
	total := 0
	for i, f := range found {
		if f == nil {
			continue
		}
		if f.truncated && r.datasets[i].requestFor(a) != nil {
			return connectors.Result{}, r.fail(0, "%s %s: more records than %d pages hold: nothing was done (raise pagination.max_pages)", a, r.datasets[i].Name, r.datasets[i].Pagination.MaxPages)
		}
		total += len(f.records)
	}
	if total == 0 {
		return connectors.Result{Status: connectors.StatusNotFound}, nil
	}
	verified, _ := job.Split()
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{}}
	corrected := map[string]bool{} // rectify: categories written
	withdrawn := map[string]bool{} // withdraw_consent: purposes acted on
	done := 0
	for i, f := range found {
		if f == nil || len(f.records) == 0 {
			continue
		}
		d := r.datasets[i]
		rt := d.actions[a]
		req := d.requestFor(a)
		if req == nil {
			continue
		}
		count := counted(a, d.Dataset)
		refs := rt.refs()
		if a == dsrflow.ActionRectify && !slices.ContainsFunc(refs, func(ref string) bool {
			return strings.HasPrefix(ref, refCorrection) && job.Corrections[strings.TrimPrefix(ref, refCorrection)] != ""
		}) {
			continue // the dataset corrects none of the categories asked for
		}
		n := 0
		for k, rec := range f.records {
			v := withTenant(vars{}, job)
			for _, t := range identityRefs(rt) {
				v[t] = connectors.IdentityValue(verified, t)
			}
			for _, ref := range refs {
				if field, ok := strings.CutPrefix(ref, refRecord); ok {
					s, ok := text(lookup(rec.fields, field))
					if !ok {
						return connectors.Result{}, r.partial(a, d.Name, k, len(f.records), done, "the record has no %s", field)
					}
					v[ref] = s
				}
			}
			for cat, val := range job.Corrections {
				v[refCorrection+cat] = val
			}
			// A withdrawal whose request names {{purpose}} is sent once per purpose this dataset records
			// consent for; one that does not withdraws every consent of the record at once.
			purposes := []string{""}
			if a == dsrflow.ActionWithdrawConsent && (slices.Contains(refs, refPurpose) || slices.Contains(d.then[a].refs(), refPurpose)) {
				purposes = d.consentPurposes(job.Purposes)
				if len(purposes) == 0 && len(d.Purposes) == 0 {
					return connectors.Result{}, r.fail(0, "%s %s: the job names no purposes and the dataset maps none: nothing was done", a, d.Name)
				}
				if len(purposes) == 0 {
					continue // the dataset records consent for none of the purposes asked
				}
			}
			op := fmt.Sprintf("%s %s", a, d.Name)
			for _, purpose := range purposes {
				if purpose != "" {
					v[refPurpose] = d.apiPurpose(purpose)
				}
				if _, err := r.send(ctx, op, req.Request, rt, v, nil); err != nil {
					if ce, ok := err.(*connectors.CallError); ok && ce.Permanent {
						pe := r.partial(a, d.Name, k, len(f.records), done, "%s", strings.TrimPrefix(ce.Message, op+": "))
						pe.StatusCode = ce.StatusCode
						return connectors.Result{}, pe
					}
					return connectors.Result{}, err
				}
				if req.Then != nil {
					// The first request may have taken the record out of the read's reach: a retry would not
					// find it again, so any failure here goes to a person.
					if _, err := r.send(ctx, op+": then", *req.Then, d.then[a], v, nil); err != nil {
						msg := err.Error()
						status := 0
						if ce, ok := err.(*connectors.CallError); ok {
							msg, status = strings.TrimPrefix(ce.Message, op+": then: "), ce.StatusCode
						}
						pe := r.partial(a, d.Name, k, len(f.records), done, "its first request was done, its then: request failed (%s)", msg)
						pe.StatusCode = status
						return connectors.Result{}, pe
					}
				}
				if a == dsrflow.ActionWithdrawConsent {
					if purpose == "" {
						for _, p := range job.Purposes {
							withdrawn[p] = true
						}
					} else {
						withdrawn[purpose] = true
					}
				}
			}
			n++
			done++
		}
		if a == dsrflow.ActionRectify {
			for _, ref := range refs {
				if cat, ok := strings.CutPrefix(ref, refCorrection); ok {
					corrected[cat] = true
				}
			}
		}
		res.Counts[count] += n
		res.Datasets = append(res.Datasets, connectors.DatasetResult{Dataset: d.Name, Counts: map[string]int{count: n}})
	}
	if a == dsrflow.ActionRectify {
		r.rectifyItems(&res, job, found, corrected)
	}
	if a == dsrflow.ActionWithdrawConsent {
		// Per purpose asked: withdrawn where a record of the subject was acted on for it, else no
		// consent of hers for it is recorded here.
		for _, p := range job.Purposes {
			item := connectors.ItemResult{Item: p, Outcome: connectors.ItemDone}
			if !withdrawn[p] {
				item.Outcome = connectors.ItemNotHeld
			}
			res.Items = append(res.Items, item)
		}
	}
	return res, nil
}

// consentPurposes are the job's purposes this dataset records consent for (all the job's when it maps
// none), or, for a job naming none, every purpose it maps.
func (d compiled) consentPurposes(asked []string) []string {
	if len(d.Purposes) == 0 {
		return asked
	}
	if len(asked) == 0 {
		return slices.Sorted(maps.Keys(d.Purposes))
	}
	var out []string
	for _, p := range asked {
		if _, ok := d.Purposes[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

// apiPurpose is what the API calls a purpose: its mapping, or its id.
func (d compiled) apiPurpose(purpose string) string {
	if v, ok := d.Purposes[purpose]; ok {
		return v
	}
	return purpose
}

// partial is a permanent failure in the middle of an action: it says how far the job got, so that a
// person knows what was applied.
func (r *Runner) partial(a dsrflow.Action, dataset string, k, n, done int, format string, args ...any) *connectors.CallError {
	return r.fail(0, "%s %s: record %d of %d: %s; %d records were acted on before this one: a person must finish the job",
		a, dataset, k+1, n, fmt.Sprintf(format, args...), done)
}

// rectifyItems says per corrected category what came of it.
func (r *Runner) rectifyItems(res *connectors.Result, job connectors.Job, found []*found, corrected map[string]bool) {
	held := map[string]bool{}
	for i, f := range found {
		if f == nil || len(f.records) == 0 {
			continue
		}
		for _, cat := range r.datasets[i].Fields {
			held[cat] = true
		}
	}
	var notPossible []string
	for _, cat := range slices.Sorted(maps.Keys(job.Corrections)) {
		item := connectors.ItemResult{Item: cat, Outcome: connectors.ItemDone}
		switch {
		case corrected[cat]:
		case held[cat]:
			item.Outcome, item.Reason = connectors.ItemNotPossible, "this system's API offers no way to correct it"
			notPossible = append(notPossible, cat)
		default:
			item.Outcome = connectors.ItemNotHeld
		}
		res.Items = append(res.Items, item)
	}
	if len(notPossible) > 0 {
		res.Detail = "not corrected, the API cannot write: " + strings.Join(notPossible, ", ")
	}
}

// purge lists, per dataset with a purge request, the records past the cutoff and sends the request for
// each. A read cut short at max_pages purges what it read; the next sweep continues.
func (r *Runner) purge(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	if job.Cutoff == nil {
		return connectors.Result{}, r.fail(0, "job %s: purge without a cutoff", job.ID)
	}
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"purged": 0}}
	v := vars{refCutoff: job.Cutoff.UTC().Format(time.RFC3339)}
	for _, d := range r.datasets {
		rt, ok := d.actions[dsrflow.ActionPurge]
		if !ok {
			continue
		}
		f, err := r.read(ctx, d, d.Name+": purge_read", d.purgeRead, *d.PurgeRead, v)
		if err != nil {
			return connectors.Result{}, err
		}
		n := 0
		for k, rec := range f.records {
			rv := vars{}
			for _, ref := range rt.refs() {
				if field, ok := strings.CutPrefix(ref, refRecord); ok {
					s, ok := text(lookup(rec.fields, field))
					if !ok {
						return connectors.Result{}, r.partial(dsrflow.ActionPurge, d.Name, k, len(f.records), res.Counts["purged"], "the record has no %s", field)
					}
					rv[ref] = s
				}
			}
			if _, err := r.send(ctx, "purge "+d.Name, d.Purge.Request, rt, rv, nil); err != nil {
				return connectors.Result{}, err
			}
			n++
			res.Counts["purged"]++
		}
		res.Datasets = append(res.Datasets, connectors.DatasetResult{Dataset: d.Name, Counts: map[string]int{"purged": n}, Truncated: f.truncated})
	}
	return res, nil
}

// send renders and sends one request; page, when not nil, adds a read's pagination (or gives the URL
// of its next page).
func (r *Runner) send(ctx context.Context, op string, req Request, rt requestTemplates, v vars, page *pageState) (answer, error) {
	u, err := r.url(rt, v, page)
	if err != nil {
		return answer{}, r.fail(0, "%s: %v", op, err)
	}
	body, err := rt.renderBody(v)
	if err != nil {
		return answer{}, r.fail(0, "%s: body: %v", op, err)
	}
	if page != nil && page.bodyParam != "" {
		if m, ok := body.(map[string]any); ok {
			m[page.bodyParam] = page.bodyValue
		}
	}
	var data []byte
	if body != nil {
		if data, err = json.Marshal(body); err != nil {
			return answer{}, r.fail(0, "%s: body: %v", op, err)
		}
	}
	return r.call(ctx, op, req, req.Method, u, data)
}

// pageState carries a read's pagination into the next call.
type pageState struct {
	next       *url.URL // a Link header's next page
	queryParam string
	queryValue string
	bodyParam  string
	bodyValue  any
}

// url builds the request's URL under the base URL.
func (r *Runner) url(rt requestTemplates, v vars, page *pageState) (*url.URL, error) {
	if page != nil && page.next != nil {
		return page.next, nil
	}
	path, err := rt.renderPath(v)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	q, err := rt.renderQuery(v)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if page != nil && page.queryParam != "" {
		q.Set(page.queryParam, page.queryValue)
	}
	u, err := url.Parse(r.base.String() + path)
	if err != nil {
		return nil, fmt.Errorf("path does not make a URL")
	}
	u.RawQuery = q.Encode()
	return u, nil
}

// read reads a dataset's records page by page, up to the pagination's max_pages.
func (r *Runner) read(ctx context.Context, d compiled, op string, rt requestTemplates, req Request, v vars) (found, error) {
	var f found
	seen := map[string]bool{}
	truncated, err := r.pages(ctx, op, req, rt, v, d.Pagination, func(data []byte) (int, any, error) {
		recs, body, err := r.records(op, d, data)
		if err != nil {
			return 0, nil, err
		}
		for _, rec := range recs {
			if !matches(d, rec, v) {
				continue
			}
			if !seen[rec.id] {
				seen[rec.id] = true
				f.records = append(f.records, rec)
			}
		}
		return len(recs), body, nil
	})
	if err != nil {
		return found{}, err
	}
	f.truncated = truncated
	return f, nil
}

// pages sends a paged request (a dataset's read, a processor's locate) page by page as p says, and
// hands each page's answer to page, which returns how many items the page held (none, or fewer than
// the limit, ends) and the decoded answer (where a cursor is). A page not found ends the reading. It
// reports whether max_pages stopped it with more pages to read.
func (r *Runner) pages(ctx context.Context, op string, req Request, rt requestTemplates, v vars, p Pagination, page func(data []byte) (items int, body any, err error)) (truncated bool, err error) {
	state := &pageState{}
	offset, pageNo := 0, p.Start
	for n := 0; ; n++ {
		if n == p.MaxPages {
			return true, nil
		}
		switch p.Type {
		case PageOffset:
			state.queryParam, state.queryValue = p.Param, strconv.Itoa(offset)
		case PagePage:
			state.queryParam, state.queryValue = p.Param, strconv.Itoa(pageNo)
		}
		if p.Type == PageOffset || p.Type == PagePage {
			if p.In == "body" {
				state.bodyParam, state.bodyValue, state.queryParam = p.Param, json.Number(state.queryValue), ""
			}
		}
		a, err := r.sendPage(ctx, op, req, rt, v, state, p)
		if err != nil {
			return false, err
		}
		if a.outcome == outNotFound {
			return false, nil
		}
		items, body, err := page(a.body)
		if err != nil {
			return false, err
		}
		switch p.Type {
		case PageNone:
			return false, nil
		case PageCursor:
			cur, ok := text(lookup(body, p.Next))
			if !ok || cur == "" || items == 0 {
				return false, nil
			}
			if p.In == "body" {
				state.bodyParam, state.bodyValue = p.Param, cur
			} else {
				state.queryParam, state.queryValue = p.Param, cur
			}
		case PageLink:
			next, err := r.nextLink(op, a.header)
			if err != nil || next == nil {
				return false, err
			}
			state.next = next
		case PageOffset:
			if items < p.Limit {
				return false, nil
			}
			offset += p.Limit
		case PagePage:
			if items < p.Limit {
				return false, nil
			}
			pageNo++
		}
	}
}

// sendPage sends one page's request with the page size.
func (r *Runner) sendPage(ctx context.Context, op string, req Request, rt requestTemplates, v vars, state *pageState, p Pagination) (answer, error) {
	if p.LimitParam == "" || state.next != nil {
		return r.send(ctx, op, req, rt, v, state)
	}
	// The page size rides along as its own query value or body member.
	withLimit := rt
	if p.In == "body" {
		if m, ok := rt.body.(map[string]any); ok {
			m2 := maps.Clone(m)
			m2[p.LimitParam] = p.Limit
			withLimit.body = m2
		}
	} else {
		q := maps.Clone(rt.query)
		lt, _ := parseTemplate(strconv.Itoa(p.Limit))
		q[p.LimitParam] = lt
		withLimit.query = q
	}
	return r.send(ctx, op, req, withLimit, v, state)
}

// nextLink returns the rel="next" URL of a Link header (RFC 8288), which must stay on the API's host:
// the credentials go with it.
func (r *Runner) nextLink(op string, h http.Header) (*url.URL, error) {
	for _, line := range h.Values("Link") {
		for _, link := range strings.Split(line, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			isNext := false
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(val, `"`)), "next") {
					isNext = true
				}
			}
			if !isNext {
				continue
			}
			u, err := r.base.Parse(strings.Trim(target, "<>"))
			if err != nil || u.Scheme != r.base.Scheme || u.Host != r.base.Host {
				return nil, r.fail(0, "%s: the Link header's next page is not on the API's host", op)
			}
			return u, nil
		}
	}
	return nil, nil
}

// records reads a page's records at the dataset's records path. An answer of another shape is a
// permanent failure.
func (r *Runner) records(op string, d compiled, data []byte) ([]record, any, error) {
	body, items, err := r.list(op, data, d.Records, "records")
	if err != nil {
		return nil, nil, err
	}
	out := make([]record, 0, len(items))
	for k, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, nil, r.fail(0, "%s: record %d of the answer is not an object", op, k+1)
		}
		id, ok := text(lookup(m, d.ID))
		if !ok || id == "" {
			return nil, nil, r.fail(0, "%s: record %d of the answer has no %s", op, k+1, d.ID)
		}
		for _, k := range d.Keys {
			// A record is told apart by its id and its keys: a mailing tool's member has one id in every
			// audience it is in.
			v, _ := text(lookup(m, k))
			id += "\x00" + v
		}
		out = append(out, record{id: id, fields: m})
	}
	return out, body, nil
}

// list decodes a page's answer and returns it with the list at the dotted path (the setting key names,
// "" for the answer itself). An answer without a list there is a permanent failure, so that an API
// that changed its shape never passes for one that found nothing; null where the list goes is an
// empty list.
func (r *Runner) list(op string, data []byte, path, key string) (any, []any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var body any
	if err := dec.Decode(&body); err != nil {
		return nil, nil, r.fail(0, "%s: the answer is not JSON", op)
	}
	list := body
	if path != "" {
		list = lookup(body, path)
		if list == nil && lookupHas(body, path) {
			list = []any{} // null where the list goes: none
		}
	}
	items, ok := list.([]any)
	if !ok {
		where := key + " path " + path
		if path == "" {
			where = "the top level"
		}
		return nil, nil, r.fail(0, "%s: the answer holds no list at %s", op, where)
	}
	return body, items, nil
}

// matches reports whether the record passes the dataset's match: each match field equals the identity
// the read was made with (when it was made with that identity type).
func matches(d compiled, rec record, v vars) bool {
	for field, t := range d.Match {
		want, ok := v[t]
		if !ok {
			continue
		}
		got, _ := text(lookup(rec.fields, field))
		if !strings.EqualFold(strings.TrimSpace(got), strings.TrimSpace(want)) {
			return false
		}
	}
	return true
}

// lookupHas reports whether the dotted path leads to a member, null or not.
func lookupHas(v any, path string) bool {
	keys := strings.Split(path, ".")
	for i, key := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		var has bool
		v, has = m[key]
		if !has {
			return false
		}
		if i == len(keys)-1 {
			return true
		}
	}
	return false
}

// lookup follows a dotted path through objects; nil when it leads nowhere.
func lookup(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

// text formats a JSON value as a record field's text; false for null or absent.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(data), true
}
