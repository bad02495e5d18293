package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/sdk"
)

// state is one system's data, kept in dir/<id>.json.
type state struct {
	Subjects []subject `json:"subjects"`
	Rows     []row     `json:"rows"`
	// Notifications are what a partner was told; they hold no identities.
	Notifications []notification `json:"notifications,omitempty"`
}

// subject is a person the system knows, under its own key (the customer id "customer_id:<system>"
// matches).
type subject struct {
	Key        string          `json:"key"`
	Email      string          `json:"email,omitempty"`
	Name       string          `json:"name,omitempty"`
	Phone      string          `json:"phone,omitempty"`
	Restricted bool            `json:"restricted,omitempty"`
	Objected   bool            `json:"objected,omitempty"`
	OptedOut   bool            `json:"marketing_optout,omitempty"`
	SaleOptOut bool            `json:"sale_optout,omitempty"`
	Consents   map[string]bool `json:"consents,omitempty"`
	// Customer says the contact is also a customer's (purchase and delivery): the marketing rule does
	// not reach it.
	Customer bool `json:"customer,omitempty"`
	// Tenant is the customer tenant a processor holds the subject in; empty in the group's own systems.
	Tenant string `json:"tenant,omitempty"`
}

type row struct {
	Dataset string            `json:"dataset"`
	Subject string            `json:"subject"`
	Fields  map[string]string `json:"fields"`
}

type notification struct {
	JobID string              `json:"job_id"`
	Cause dsrflow.RequestType `json:"cause"`
	// Action is optout for an opt-out the partner must honour; empty for a notice (notify).
	Action   dsrflow.Action `json:"action,omitempty"`
	Received string         `json:"received"`
}

// system is one demo connector's data and its job handler.
type system struct {
	spec    spec
	path    string
	effects *effectLog

	mu    sync.Mutex
	state state
}

func openSystem(dir string, sp spec, effects *effectLog, now time.Time) (*system, error) {
	s := &system{spec: sp, path: filepath.Join(dir, sp.id+".json"), effects: effects}
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.state = seed(sp.id, now)
		if err := s.save(s.state); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(data, &s.state); err != nil {
			return nil, fmt.Errorf("demo %s: state file is corrupt: %w", sp.id, err)
		}
	}
	return s, nil
}

func (s *system) save(st state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, data)
}

// HandleJob implements sdk.Handler.
func (s *system) HandleJob(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	if job.Connector != s.spec.id {
		return connectors.Result{}, sdk.Permanent(fmt.Errorf("job %s is for another connector", job.ID))
	}
	if !slices.Contains(s.spec.actions, job.Action) {
		return connectors.Result{}, sdk.Permanent(fmt.Errorf("action %s is not supported", job.Action))
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	if job.Action == dsrflow.ActionNotify || s.spec.role == connectors.RolePartner {
		return s.notify(job)
	}
	if job.Action == dsrflow.ActionPurge || job.Action == dsrflow.ActionPurgeKept {
		return s.purge(job)
	}
	if err := s.checkTenant(job); err != nil {
		return connectors.Result{}, err
	}
	if job.Action == dsrflow.ActionLocate {
		return s.locate(ctx, job)
	}
	// The subjects the verified identities select (in a processor, in the job's tenant only); an extra
	// identifier of someone else's is a conflict.
	matched, err := sdk.Subjects(ctx, job, func(_ context.Context, id dsrflow.Identity) ([]int, error) {
		return s.state.match(s.spec, id, job.Tenant), nil
	})
	if err != nil {
		return connectors.Result{}, err
	}
	if job.Action == dsrflow.ActionAccess {
		return s.access(job, matched), nil
	}

	// Changes are made on a copy, saved, then kept: a failed save leaves the data as it was. The copy
	// holds the subjects at the same indexes.
	next := s.state.clone()
	if len(matched) == 0 {
		return connectors.Result{JobID: job.ID, Status: connectors.StatusNotFound}, nil
	}
	var res connectors.Result
	switch job.Action {
	case dsrflow.ActionErase:
		res = s.erase(&next, matched)
	case dsrflow.ActionRectify:
		res = rectify(&next, s.spec, matched, job.Corrections)
	case dsrflow.ActionRestrict:
		res = setFlag(&next, matched, "restricted", func(p *subject) *bool { return &p.Restricted })
	case dsrflow.ActionUnrestrict:
		res = clearFlag(&next, matched, "unrestricted", func(p *subject) *bool { return &p.Restricted })
	case dsrflow.ActionObject:
		res = setFlag(&next, matched, "objected", func(p *subject) *bool { return &p.Objected })
	case dsrflow.ActionOptout:
		res = setFlag(&next, matched, "opted_out", func(p *subject) *bool { return &p.OptedOut })
	case dsrflow.ActionOptoutSale:
		res = setFlag(&next, matched, "sale_opted_out", func(p *subject) *bool { return &p.SaleOptOut })
	case dsrflow.ActionWithdrawConsent:
		res = withdraw(&next, matched, job.Purposes)
	default:
		return connectors.Result{}, sdk.Permanent(fmt.Errorf("action %s is not supported", job.Action))
	}
	res.JobID = job.ID
	if changed(res.Counts) {
		if err := s.save(next); err != nil {
			return connectors.Result{}, fmt.Errorf("save %s: %w", s.spec.id, err)
		}
		s.state = next
		if err := s.effects.add(s.spec.id, job, res.Counts); err != nil {
			return connectors.Result{}, err
		}
	}
	return res, nil
}

// checkTenant holds a processor to its customers' instructions: besides locate it acts in one named
// tenant of its own only. The group's own systems have no tenants.
func (s *system) checkTenant(job connectors.Job) error {
	switch {
	case s.spec.tenants == nil && job.Tenant != "":
		return sdk.Permanent(fmt.Errorf("system %s has no customer tenants", s.spec.id))
	case s.spec.tenants == nil || job.Action == dsrflow.ActionLocate:
		return nil
	case job.Tenant == "":
		return sdk.Permanent(fmt.Errorf("%s acts for a customer in one tenant only: tenant is required", s.spec.id))
	case s.spec.tenants[job.Tenant] == "":
		return sdk.Permanent(fmt.Errorf("%s has no tenant %s", s.spec.id, job.Tenant))
	}
	return nil
}

// locate answers which customer tenants hold the job's subject: tenant and customer ids, no records.
func (s *system) locate(ctx context.Context, job connectors.Job) (connectors.Result, error) {
	matched, err := sdk.Subjects(ctx, job, func(_ context.Context, id dsrflow.Identity) ([]int, error) {
		return s.state.match(s.spec, id, anyTenant), nil
	})
	if err != nil {
		return connectors.Result{}, err
	}
	seen := map[string]bool{}
	for _, i := range matched {
		seen[s.state.Subjects[i].Tenant] = true
	}
	if len(seen) == 0 {
		return connectors.Result{JobID: job.ID, Status: connectors.StatusNotFound}, nil
	}
	var tenants []connectors.TenantHolding
	for _, t := range sortedKeys(seen) {
		tenants = append(tenants, connectors.TenantHolding{Tenant: t, Customer: s.spec.tenants[t]})
	}
	return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Tenants: tenants,
		Counts: map[string]int{"tenants": len(tenants)}}, nil
}

// purge deletes the rows past their retention period: those of a dataset holding a rule's category
// whose activity field is a date before the job's cutoff; rows whose date cannot be read stay: a sweep
// deletes only what it knows is due. With job.Contact (the marketing rule) a subject whose last lead
// went goes too, contact data and consents, unless another purpose holds it (contactKept).
func (s *system) purge(job connectors.Job) (connectors.Result, error) {
	next := s.state.clone()
	var rows []row
	purged, restricted := 0, 0
	lostLead, lostKept := map[string]bool{}, map[string]bool{}
	for _, r := range next.Rows {
		if job.Action == dsrflow.ActionPurgeKept {
			if s.keptDue(r, job) {
				purged++
				lostKept[r.Subject] = true
				continue
			}
		} else if s.due(r, *job.Cutoff, job.Categories) {
			// A restricted subject's data is only stored, and deleting it is processing the restriction
			// forbids (GDPR Art. 18(2)): it stays, counted, until the restriction is lifted.
			if s.restricted(r.Subject) {
				restricted++
			} else {
				purged++
				lostLead[r.Subject] = true
				continue
			}
		}
		rows = append(rows, r)
	}
	next.Rows = rows
	// A subject kept only as the key to its kept rows goes with the last of them.
	if job.Action == dsrflow.ActionPurgeKept {
		var subjects []subject
		for _, p := range next.Subjects {
			if lostKept[p.Key] && !slices.ContainsFunc(rows, func(r row) bool { return r.Subject == p.Key }) {
				continue
			}
			subjects = append(subjects, p)
		}
		next.Subjects = subjects
	}
	counts := map[string]int{"purged": purged}
	if restricted > 0 {
		counts["restricted_kept"] = restricted
	}
	if job.Action == dsrflow.ActionPurgeKept {
		counts["kept_refs"] = len(job.Kept)
	}
	var exemptions []connectors.Exemption
	if job.Contact {
		var kept []subject
		counts["contacts_purged"], counts["contacts_kept"] = 0, 0
		for _, p := range next.Subjects {
			switch {
			case !lostLead[p.Key] || slices.ContainsFunc(rows, func(r row) bool { return r.Subject == p.Key }):
				kept = append(kept, p)
			case p.Customer:
				kept = append(kept, p)
				counts["contacts_kept"]++
				if len(exemptions) == 0 {
					exemptions = append(exemptions, contactKept(s.spec))
				}
			default:
				counts["contacts_purged"]++
			}
		}
		next.Subjects = kept
	}
	if purged > 0 {
		if err := s.save(next); err != nil {
			return connectors.Result{}, fmt.Errorf("save %s: %w", s.spec.id, err)
		}
		s.state = next
		if err := s.effects.add(s.spec.id, job, counts); err != nil {
			return connectors.Result{}, err
		}
	}
	return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Counts: counts, Exemptions: exemptions}, nil
}

// restricted reports whether the subject under key has the processing of its data restricted.
func (s *system) restricted(key string) bool {
	return slices.ContainsFunc(s.state.Subjects, func(p subject) bool { return p.Key == key && p.Restricted })
}

// keptRef is the opaque handle an exemption gives to one kept row (an invoice): its own period ends on
// its own day.
func keptRef(r row) string {
	sum := sha256.Sum256([]byte("kept\x00" + r.Subject + "\x00" + r.Dataset + "\x00" + r.Fields["number"] + "\x00" + r.Fields["date"]))
	return "kept-" + hex.EncodeToString(sum[:8])
}

// keptDue reports whether a kept row is named by the purge job (Job.Kept) and past its own until-date
// at the job's cutoff: a row kept longer (a later invoice) stays.
func (s *system) keptDue(r row, job connectors.Job) bool {
	ret, ok := s.spec.retained[r.Dataset]
	if !ok || !slices.ContainsFunc(job.Kept, func(k connectors.KeptRef) bool {
		return k.Dataset == r.Dataset && k.Ref == keptRef(r)
	}) {
		return false
	}
	k := keeping.For(s.spec.owner)
	rule, _ := k.Rule(ret.rule)
	from, err := time.Parse(time.DateOnly, r.Fields[ret.dateField])
	// The until-date is the last day kept: the row may go from the next day on.
	return err == nil && !job.Cutoff.Before(k.Until(rule, from).AddDate(0, 0, 1))
}

// contactKept is why a marketing contact outlives its last lead: it is also a customer's.
func contactKept(sp spec) connectors.Exemption {
	var cats []string
	for _, f := range sp.profileFields {
		cats = append(cats, profileCategories[f])
	}
	return connectors.Exemption{Dataset: sp.profile, Basis: "contract",
		Detail: "the contact is also a customer's (purchase and delivery)", Categories: cats}
}

// due reports whether a row is past a retention rule's period at cutoff. categories, when given, limits
// the sweep to those rules.
func (s *system) due(r row, cutoff time.Time, categories []string) bool {
	fields := s.spec.datasets[r.Dataset]
	for _, rule := range s.spec.purges {
		if len(categories) > 0 && !slices.Contains(categories, rule.Category) {
			continue
		}
		if fields[rule.ActivityField] != rule.Category {
			continue
		}
		last, err := time.Parse(time.DateOnly, r.Fields[rule.ActivityField])
		if err == nil && last.Before(cutoff) {
			return true
		}
	}
	return false
}

func changed(counts map[string]int) bool {
	for k, n := range counts {
		if k != "retained" && n > 0 {
			return true
		}
	}
	return false
}

func (s *system) notify(job connectors.Job) (connectors.Result, error) {
	next := s.state.clone()
	n := notification{JobID: job.ID, Cause: job.Cause, Received: time.Now().UTC().Format(time.RFC3339)}
	counts := map[string]int{"notified": 1}
	if job.Action == dsrflow.ActionOptout {
		// The partner stops marketing to the address, whether or not it holds data on it yet.
		n.Action, counts = job.Action, map[string]int{"opted_out": 1}
	}
	next.Notifications = append(next.Notifications, n)
	if err := s.save(next); err != nil {
		return connectors.Result{}, fmt.Errorf("save %s: %w", s.spec.id, err)
	}
	s.state = next
	if err := s.effects.add(s.spec.id, job, counts); err != nil {
		return connectors.Result{}, err
	}
	return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Counts: counts}, nil
}

func (s *system) access(job connectors.Job, matched []int) connectors.Result {
	if len(matched) == 0 {
		return connectors.Result{JobID: job.ID, Status: connectors.StatusNotFound}
	}
	var records []connectors.Record
	add := func(dataset string, fields, cats map[string]string) {
		rec := connectors.Record{Dataset: dataset, Fields: map[string]string{}, Categories: map[string]string{}}
		for f, v := range fields {
			cat := cats[f]
			if len(job.Categories) > 0 && !slices.Contains(job.Categories, cat) {
				continue
			}
			rec.Fields[f] = v
			if cat != "" {
				rec.Categories[f] = cat
			}
		}
		if len(rec.Fields) > 0 {
			records = append(records, rec)
		}
	}
	for _, i := range matched {
		p := s.state.Subjects[i]
		if s.spec.profile != "" {
			fields, cats := map[string]string{}, map[string]string{}
			for _, f := range s.spec.profileFields {
				if v := p.field(f); v != "" {
					fields[f], cats[f] = v, profileCategories[f]
				}
			}
			for name, on := range map[string]bool{"processing_restricted": p.Restricted, "objected": p.Objected, "marketing_optout": p.OptedOut, "sale_optout": p.SaleOptOut} {
				if on {
					fields[name] = "true"
				}
			}
			add(s.spec.profile, fields, cats)
		}
		for _, purpose := range sortedKeys(p.Consents) {
			add("consents", map[string]string{"purpose": purpose, "granted": fmt.Sprint(p.Consents[purpose])}, s.spec.datasets["consents"])
		}
		for _, r := range s.state.Rows {
			if r.Subject == p.Key {
				add(r.Dataset, r.Fields, s.spec.datasets[r.Dataset])
			}
		}
	}
	return connectors.Result{JobID: job.ID, Status: connectors.StatusCompleted, Records: records,
		Counts: map[string]int{"records": len(records)}}
}

// erase removes the subjects and their rows, except datasets retained on a legal basis; a subject with
// retained rows is kept as the key to find them.
func (s *system) erase(st *state, matched []int) connectors.Result {
	var exemptions []connectors.Exemption
	erased := 0
	keep := map[string]bool{}
	var rows []row
	for _, r := range st.Rows {
		if !slices.ContainsFunc(matched, func(i int) bool { return st.Subjects[i].Key == r.Subject }) {
			rows = append(rows, r)
			continue
		}
		ret, ok := s.spec.retained[r.Dataset]
		if !ok {
			erased++
			continue
		}
		rows = append(rows, r)
		keep[r.Subject] = true
		k := keeping.For(s.spec.owner)
		rule, _ := k.Rule(ret.rule) // TestDemoKeepRulesExist
		var dated *time.Time
		if from, err := time.Parse(time.DateOnly, r.Fields[ret.dateField]); err == nil {
			dated = &from
		}
		ex := rule.Exemption(r.Dataset, ret.categories, dated, k.Entity.FinancialYearEnd)
		ex.Ref = keptRef(r)
		exemptions = append(exemptions, ex)
	}
	var subjects []subject
	for i, p := range st.Subjects {
		if slices.Contains(matched, i) && !keep[p.Key] {
			erased++
			continue
		}
		subjects = append(subjects, p)
	}
	st.Subjects, st.Rows = subjects, rows
	res := connectors.Result{Status: connectors.StatusCompleted, Exemptions: exemptions, Counts: map[string]int{"erased": erased}}
	if len(exemptions) > 0 {
		res.Counts["retained"] = len(exemptions)
		if erased == 0 {
			res.Status = connectors.StatusExempt
		}
	}
	return res
}

func rectify(st *state, sp spec, matched []int, corrections map[string]string) connectors.Result {
	n := 0
	var refused []string
	var items []connectors.ItemResult
	held := sp.categories()
	for _, cat := range sortedKeys(corrections) {
		field, ok := sp.rectifiable[cat]
		if !ok {
			refused = append(refused, cat)
			item := connectors.ItemResult{Item: cat, Outcome: connectors.ItemNotHeld}
			if slices.Contains(held, cat) {
				item = connectors.ItemResult{Item: cat, Outcome: connectors.ItemNotPossible, Reason: "this system cannot correct it"}
			}
			items = append(items, item)
			continue
		}
		items = append(items, connectors.ItemResult{Item: cat, Outcome: connectors.ItemDone})
		for _, i := range matched {
			if p := &st.Subjects[i]; p.field(field) != corrections[cat] {
				p.setField(field, corrections[cat])
				n++
			}
		}
	}
	res := connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"rectified": n}, Items: items}
	if len(refused) > 0 {
		res.Detail = "not held or not correctable here: " + strings.Join(refused, ", ")
		if len(refused) == len(corrections) {
			res.Status = connectors.StatusFailed
		}
	}
	return res
}

func setFlag(st *state, matched []int, count string, flag func(*subject) *bool) connectors.Result {
	n := 0
	for _, i := range matched {
		if f := flag(&st.Subjects[i]); !*f {
			*f = true
			n++
		}
	}
	return connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{count: n}}
}

// clearFlag unsets a flag setFlag set: lifting a restriction.
func clearFlag(st *state, matched []int, count string, flag func(*subject) *bool) connectors.Result {
	n := 0
	for _, i := range matched {
		if f := flag(&st.Subjects[i]); *f {
			*f = false
			n++
		}
	}
	return connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{count: n}}
}

// withdraw withdraws consent for the purposes, or for every purpose when none is named.
// Each named purpose is an item: done where the subject's consent for it is on record here (now
// withdrawn), not held where there is none.
func withdraw(st *state, matched []int, purposes []string) connectors.Result {
	n := 0
	recorded := map[string]bool{}
	for _, i := range matched {
		p := &st.Subjects[i]
		for purpose, granted := range p.Consents {
			if len(purposes) == 0 || slices.Contains(purposes, purpose) {
				recorded[purpose] = true
				if granted {
					p.Consents[purpose] = false
					n++
				}
			}
		}
	}
	var items []connectors.ItemResult
	for _, purpose := range sortedStrings(slices.Clone(purposes)) {
		outcome := connectors.ItemNotHeld
		if recorded[purpose] {
			outcome = connectors.ItemDone
		}
		items = append(items, connectors.ItemResult{Item: purpose, Outcome: outcome})
	}
	return connectors.Result{Status: connectors.StatusCompleted, Counts: map[string]int{"withdrawn": n}, Items: items}
}

// anyTenant matches subjects in every tenant of a processor (locate).
const anyTenant = "\x00any"

// match returns the indexes of the subjects of the tenant (empty: the group's own systems; anyTenant:
// every tenant) matching the identity on the system's identity types.
func (st state) match(sp spec, id dsrflow.Identity, tenant string) []int {
	var out []int
	for i, p := range st.Subjects {
		if tenant != anyTenant && p.Tenant != tenant {
			continue
		}
		for _, t := range sp.identities {
			if matchOne(t, sp.id, p, id) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

func matchOne(t, system string, p subject, id dsrflow.Identity) bool {
	switch t {
	case dsrflow.IdentityEmail:
		return id.Email != "" && strings.EqualFold(strings.TrimSpace(id.Email), p.Email)
	case dsrflow.IdentityPhone:
		return id.Phone != "" && normalizePhone(id.Phone) == normalizePhone(p.Phone)
	case dsrflow.IdentityName:
		return id.Name != "" && strings.EqualFold(strings.TrimSpace(id.Name), p.Name)
	case dsrflow.IdentityCustomerID + ":" + system:
		return id.CustomerIDs[system] != "" && id.CustomerIDs[system] == p.Key
	}
	return false
}

func normalizePhone(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '+' || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}

func (p subject) field(f string) string {
	switch f {
	case "email":
		return p.Email
	case "name":
		return p.Name
	case "phone":
		return p.Phone
	}
	return ""
}

func (p *subject) setField(f, v string) {
	switch f {
	case "email":
		p.Email = v
	case "name":
		p.Name = v
	case "phone":
		p.Phone = v
	}
}

func (st state) clone() state {
	data, err := json.Marshal(st)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	var out state
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sortedStrings(keys)
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}

// writeFileAtomic replaces path with data (mode 0600), durably: a crash leaves the old or the new file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
