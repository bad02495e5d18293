package postgres

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// This file holds the kind's configuration: the mapping of a postgres connector (which tables hold a
// subject's data, how rows are found, and what each action does to them), how connectors.yaml gives it,
// and its checks.

// Name is the kind's value of kind: in connectors.yaml.
const Name = "postgres"

// Kind implements connectors.Settings.
func (Settings) Kind() string { return Name }

// Defaults of a postgres connector's settings.
const (
	// DefaultAccessLimit is how many rows an access job returns at most.
	DefaultAccessLimit = 10000
	// MaxAccessLimit bounds access_limit: the rows of one job are held in memory and in the store.
	MaxAccessLimit = 1000000
	// DefaultJobTable is the table in the connector's database that logs its jobs.
	DefaultJobTable = "dsrflow_jobs"
)

// Settings are a postgres connector's own configuration (connectors.Connector.Settings).
type Settings struct {
	// DSNEnv names the variable holding the connection string. The string itself is read when the
	// connector is opened, so it is never held with the configuration.
	DSNEnv string
	// Datasets map the database's tables.
	Datasets []Dataset
	// AccessLimit is the most rows an access job returns (over all datasets); a job that stops there
	// says so per dataset (DatasetResult.Truncated).
	AccessLimit int
	// JobTable is the table in the database where each job that writes is logged, in the job's own
	// transaction, so that a job runs once.
	JobTable string
	// Tenants map a processor's customer tenants (the values of its datasets' tenant columns) to the
	// customers controlling them (connectors.yaml's tenants:). Only for role processor.
	Tenants connectors.Tenants
}

// Of returns a postgres connector's settings.
func Of(c connectors.Connector) (Settings, bool) {
	s, ok := c.Settings.(Settings)
	return s, ok
}

// Erase rules of a dataset: what an erase job does to the subject's rows.
const (
	EraseDelete = "delete" // the rows go
	EraseMask   = "mask"   // the rows stay; their mapped columns are masked (Mask)
	EraseRetain = "retain" // the rows stay untouched on a legal basis (Retain); the answer says so
)

// Mask strategies for one column.
const (
	MaskNullify = "nullify" // NULL
	MaskRedact  = "redact"  // the text MaskRedacted
	MaskHash    = "hash"    // the lower-case hex SHA-256 of the value: rows stay distinguishable
)

// MaskRedacted is what the redact strategy writes.
const MaskRedacted = "[redacted]"

// RetainBases are the legal bases a retained dataset may name (GDPR Art. 17(3)).
var RetainBases = connectors.KeepBases

// postgresActions are the actions a postgres connector can carry out itself.
var postgresActions = []dsrflow.Action{
	dsrflow.ActionLocate, dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict, dsrflow.ActionUnrestrict,
	dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent, dsrflow.ActionPurge, dsrflow.ActionPurgeKept,
}

// Dataset maps one table of a postgres connector.
type Dataset struct {
	Table string `json:"table"`
	// Match says how the subject's rows are found: any of them matching is enough.
	Match []Match `json:"match"`
	// Categories maps a column to its data category; only these columns are returned by access jobs.
	Categories map[string]string `json:"categories"`
	// Erase is EraseDelete, EraseMask or EraseRetain.
	Erase string `json:"erase,omitempty"`
	// Mask maps each mapped column to its mask strategy (erase: mask).
	Mask map[string]string `json:"mask,omitempty"`
	// Rectify lists the mapped columns a rectify job may write.
	Rectify []string `json:"rectify,omitempty"`
	// RestrictColumn is a boolean column set true by restrict jobs.
	RestrictColumn string `json:"restrict_column,omitempty"`
	// OptoutColumn is a boolean column set true by optout (and marketing consent withdrawal) jobs.
	OptoutColumn string `json:"optout_column,omitempty"`
	// Retain is the legal basis of erase: retain.
	Retain *Retention `json:"retain,omitempty"`
	// TenantColumn is, in a processor's table, the column naming the customer tenant a row belongs to:
	// locate answers its distinct values among the subject's rows, and every other job acts only on the
	// rows whose tenant column equals the job's tenant.
	TenantColumn string `json:"tenant_column,omitempty"`
}

// Match is one way to find a subject's rows in a dataset: Column equals the subject's identity of type
// Identity, or Column holds a value of LinkColumn in the subject's rows of the earlier dataset LinkTable
// (a foreign key).
type Match struct {
	Column     string `json:"column"`
	Identity   string `json:"identity,omitempty"`
	LinkTable  string `json:"link_table,omitempty"`
	LinkColumn string `json:"link_column,omitempty"`
}

// Retention is why and how long an erase job keeps a dataset's rows: a keep rule of connectors.yaml's
// legal_retention: by name (Rule), or one written out here (Basis, Detail, Years, YearsAfter).
type Retention struct {
	Rule       string `json:"rule,omitempty"`
	Basis      string `json:"basis,omitempty"`
	Detail     string `json:"detail,omitempty"`
	Years      int    `json:"years,omitempty"`
	YearsAfter string `json:"years_after,omitempty"`
	// FromColumn is the date the period is counted from (KeepRule.Until of the latest of the rows').
	FromColumn string `json:"from_column"`
}

// KeepRule is the rule the retention names, as it binds the connector's owner, or the one written out.
func (r Retention) KeepRule(k connectors.Keeping) (connectors.KeepRule, bool) {
	if r.Rule != "" {
		return k.Rule(r.Rule)
	}
	return connectors.KeepRule{Basis: r.Basis, Detail: r.Detail, Years: r.Years, YearsAfter: r.YearsAfter}, true
}

// Columns returns every column the dataset names, sorted: the ones a schema check must find.
func (d Dataset) Columns() []string {
	set := map[string]bool{}
	for _, m := range d.Match {
		set[m.Column] = true
	}
	for col := range d.Categories {
		set[col] = true
	}
	for col := range d.Mask {
		set[col] = true
	}
	for _, col := range d.Rectify {
		set[col] = true
	}
	for _, col := range []string{d.RestrictColumn, d.OptoutColumn, d.TenantColumn} {
		if col != "" {
			set[col] = true
		}
	}
	if d.Retain != nil && d.Retain.FromColumn != "" {
		set[d.Retain.FromColumn] = true
	}
	delete(set, "")
	return slices.Sorted(maps.Keys(set))
}

// CategoryList returns the dataset's data categories, sorted and without repeats.
func (d Dataset) CategoryList() []string {
	return slices.Compact(slices.Sorted(maps.Values(d.Categories)))
}

// DatasetCategories lists the tables and the data categories their mapped columns hold.
func (s Settings) DatasetCategories() []connectors.DatasetCategory {
	out := make([]connectors.DatasetCategory, len(s.Datasets))
	for i, d := range s.Datasets {
		out[i] = connectors.DatasetCategory{Dataset: d.Table, Categories: d.CategoryList()}
	}
	return out
}

func (d Dataset) clone() Dataset {
	d.Match = slices.Clone(d.Match)
	d.Categories = maps.Clone(d.Categories)
	d.Mask = maps.Clone(d.Mask)
	d.Rectify = slices.Clone(d.Rectify)
	if d.Retain != nil {
		r := *d.Retain
		d.Retain = &r
	}
	return d
}

// ActivityColumn returns the column of dataset d that a purge job compares with its cutoff: the
// activity_field of the first of the connector's retention rules whose category d holds and, when
// categories is not empty, is among them. "" means the purge job does not select d's rows by date.
func ActivityColumn(retention []connectors.RetentionRule, d Dataset, categories []string) string {
	for _, r := range retention {
		if slices.Contains(d.CategoryList(), r.Category) && (len(categories) == 0 || slices.Contains(categories, r.Category)) {
			return r.ActivityField
		}
	}
	return ""
}

// PurgedDatasets marks, by index, the datasets a purge job may erase rows of: those holding a retention
// rule's category, and those linked to a marked one. None when the connector does not list purge.
func (s Settings) PurgedDatasets(c connectors.Connector) []bool {
	out := make([]bool, len(s.Datasets))
	if !c.Supports(dsrflow.ActionPurge) {
		return out
	}
	for i, d := range s.Datasets {
		out[i] = ActivityColumn(c.Retention, d, nil) != ""
		for _, m := range d.Match {
			for j, parent := range s.Datasets[:i] {
				if parent.Table == m.LinkTable && out[j] {
					out[i] = true
				}
			}
		}
	}
	return out
}

// validatePostgresRetention checks a postgres connector's retention rules against its datasets: a rule's
// rows are those of the datasets holding its category, whose activity_field column is older than the
// cutoff; they go as the dataset's erase rule says, so it must be delete or mask.
func (s Settings) checkRetention(c connectors.Connector) []connectors.Problem {
	var ps []connectors.Problem
	for i, r := range c.Retention {
		field := fmt.Sprintf("retention.%d", i)
		if r.ActivityField != "" && !sqlName.MatchString(r.ActivityField) {
			ps = append(ps, connectors.Problemf(field+".activity_field", "retention #%d: activity_field %q must be a column name ([A-Za-z_][A-Za-z0-9_]*)", i+1, r.ActivityField))
		}
		held := false
		for _, d := range s.Datasets {
			if !slices.Contains(d.CategoryList(), r.Category) {
				continue
			}
			held = true
			if d.Erase != EraseDelete && d.Erase != EraseMask {
				ps = append(ps, connectors.Problemf(field+".category", "retention #%d: dataset %s holds %s, so a purge erases its rows: its erase rule must be delete or mask", i+1, d.Table, r.Category))
			}
			if col := ActivityColumn(c.Retention, d, nil); col != r.ActivityField {
				ps = append(ps, connectors.Problemf(field+".activity_field", "retention #%d: dataset %s is purged by %s already; one dataset has one activity_field", i+1, d.Table, col))
			}
		}
		if !held && r.Category != "" {
			ps = append(ps, connectors.Problemf(field+".category", "retention #%d: no dataset maps a column to %s", i+1, r.Category))
		}
	}
	for i, purged := range s.PurgedDatasets(c) {
		d := s.Datasets[i]
		if purged && d.Erase == "" && ActivityColumn(c.Retention, d, nil) == "" {
			ps = append(ps, connectors.Problemf(fmt.Sprintf("datasets.%d", i), "dataset %s: erase is required (delete, mask or retain): a purge reaches its rows through a link", d.Table))
		}
		// A purge skips restricted rows (GDPR Art. 18(2)); it can tell them only by the flag restrict jobs set.
		if purged && c.Supports(dsrflow.ActionRestrict) && d.RestrictColumn == "" && ActivityColumn(c.Retention, d, nil) != "" {
			ps = append(ps, connectors.Problemf(fmt.Sprintf("datasets.%d.restrict_column", i), "dataset %s: restrict_column is required: a purge erases its rows and must leave the restricted ones", d.Table))
		}
	}
	return ps
}

// sqlName is what a table or column may be called: a plain identifier, so "table.column" is unambiguous.
var sqlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Clone copies the datasets.
func (s Settings) Clone() connectors.Settings {
	if s.Datasets != nil {
		ds := make([]Dataset, len(s.Datasets))
		for i, d := range s.Datasets {
			ds[i] = d.clone()
		}
		s.Datasets = ds
	}
	s.Tenants = maps.Clone(s.Tenants)
	return s
}

// TenantCustomers returns a processor's tenants and their customers (connectors.TenantMapper).
func (s Settings) TenantCustomers() connectors.Tenants { return maps.Clone(s.Tenants) }

// Defaults fills in the access limit and the job table and, when the connector lists no categories,
// takes those its datasets map.
func (s Settings) Defaults(c connectors.Connector) connectors.Connector {
	if s.AccessLimit == 0 {
		s.AccessLimit = DefaultAccessLimit
	}
	if s.JobTable == "" {
		s.JobTable = DefaultJobTable
	}
	if len(c.Categories) == 0 {
		for _, d := range s.Datasets {
			c.Categories = append(c.Categories, d.CategoryList()...)
		}
		slices.Sort(c.Categories)
		c.Categories = slices.Compact(c.Categories)
	}
	c.Settings = s
	return c
}

// Check checks a postgres connector's mapping, and its role, actions, identities and retention rules
// against it. Problems name the field path the parser records lines for: datasets.0.mask.email,
// datasets.1.retain.years, ...
func (s Settings) Check(c connectors.Connector) []connectors.Problem {
	var ps []connectors.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf(field, format, args...))
	}
	if c.Role == connectors.RolePartner {
		add("role", "a postgres connector acts on data, so its role must be subsidiary or processor")
	}
	processor := c.Role == connectors.RoleProcessor
	ps = append(ps, connectors.CheckTenants(c, s.Tenants)...)
	if s.DSNEnv == "" {
		add("dsn_env", "dsn_env (the variable holding the connection string) is required")
	}
	for _, a := range c.Actions {
		if connectors.KnownAction(a) && !slices.Contains(postgresActions, a) && a != dsrflow.ActionNotify {
			add("actions", "kind postgres does not support action %s", a)
		}
	}
	if len(s.Datasets) == 0 {
		add("datasets", "datasets must list at least one table")
	}
	if s.AccessLimit < 1 || s.AccessLimit > MaxAccessLimit {
		add("access_limit", "access_limit must be a whole number of rows from 1 to %d", MaxAccessLimit)
	}
	switch {
	case !sqlName.MatchString(s.JobTable):
		add("job_table", "job_table must be a plain name ([A-Za-z_][A-Za-z0-9_]*)")
	case slices.ContainsFunc(s.Datasets, func(d Dataset) bool { return d.Table == s.JobTable }):
		add("job_table", "job_table %s is a mapped dataset; the job log needs a table of its own", s.JobTable)
	}
	tables := map[string]int{}   // table -> index
	matched := map[string]bool{} // identity types some dataset matches on
	var restrict, optout, rectify bool
	for i, d := range s.Datasets {
		at := fmt.Sprintf("datasets.%d", i)
		name := d.Table
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		addD := func(field, format string, args ...any) {
			add(at+field, "dataset %s: "+format, append([]any{name}, args...)...)
		}
		switch {
		case d.Table == "":
			addD("", "table is required")
		case !sqlName.MatchString(d.Table):
			addD(".table", "table must be a plain name ([A-Za-z_][A-Za-z0-9_]*)")
		default:
			if _, dup := tables[d.Table]; dup {
				addD(".table", "table mapped twice")
			}
		}
		column := func(field, col string) bool {
			if !sqlName.MatchString(col) {
				addD(field, "column %q must be a plain name ([A-Za-z_][A-Za-z0-9_]*)", col)
				return false
			}
			return true
		}

		if len(d.Match) == 0 {
			addD(".match", "match must name at least one column")
		}
		for _, m := range d.Match {
			field := ".match." + m.Column
			if !column(field, m.Column) {
				continue
			}
			switch {
			case m.Identity != "":
				if !slices.Contains(c.Identities, m.Identity) {
					addD(field, "match %s: identity type %q is not in the connector's identities", m.Column, m.Identity)
				}
				matched[m.Identity] = true
			default:
				j, ok := tables[m.LinkTable]
				if !ok {
					addD(field, "match %s: %s.%s must name an identity type or an earlier dataset's table.column", m.Column, m.LinkTable, m.LinkColumn)
				} else if column(field, m.LinkColumn) {
					parent := s.Datasets[j]
					if s, masked := parent.Mask[m.LinkColumn]; masked && parent.Erase == EraseMask {
						addD(field, "match %s: %s.%s is masked (%s) on erase, so linked rows could not be found again", m.Column, m.LinkTable, m.LinkColumn, s)
					}
				}
			}
		}
		if d.Table != "" {
			if _, dup := tables[d.Table]; !dup {
				tables[d.Table] = i
			}
		}

		if len(d.Categories) == 0 {
			addD(".categories", "categories must map at least one column to a data category")
		}
		for _, col := range slices.Sorted(maps.Keys(d.Categories)) {
			field := ".categories." + col
			if column(field, col) && !connectors.ValidCategory(d.Categories[col]) {
				addD(field, "category %q must be dotted lower case, like user.contact.email", d.Categories[col])
			}
		}

		erases := slices.Contains(c.Actions, dsrflow.ActionErase)
		switch d.Erase {
		case EraseDelete, EraseMask, EraseRetain:
		case "":
			if erases {
				addD("", "erase is required (delete, mask or retain) since the connector supports erase")
			}
		default:
			addD(".erase", "erase must be delete, mask or retain, not %q", d.Erase)
		}
		if d.Erase == EraseMask {
			for _, col := range slices.Sorted(maps.Keys(d.Categories)) {
				if _, ok := d.Mask[col]; !ok {
					addD(".mask", "column %s is mapped to a category but has no mask strategy", col)
				}
			}
		} else if len(d.Mask) > 0 {
			addD(".mask", "mask is only for erase: mask")
		}
		for _, col := range slices.Sorted(maps.Keys(d.Mask)) {
			field := ".mask." + col
			if !column(field, col) {
				continue
			}
			switch s := d.Mask[col]; s {
			case MaskNullify, MaskRedact, MaskHash:
			default:
				addD(field, "mask strategy for %s must be nullify, redact or hash, not %q", col, s)
			}
			if _, ok := d.Categories[col]; !ok {
				addD(field, "mask column %s is not mapped to a category", col)
			}
		}
		if d.Erase == EraseRetain {
			if d.Retain == nil {
				addD(".erase", "erase: retain needs retain: {rule, from_column} or {basis, detail, years, years_after, from_column}")
			} else {
				r := d.Retain
				switch kr, ok := r.KeepRule(c.Keeping); {
				case r.Rule != "" && (r.Basis != "" || r.Detail != "" || r.Years != 0 || r.YearsAfter != ""):
					addD(".retain.rule", "retain: give a rule, or basis, detail, years and years_after, not both")
				case !ok:
					addD(".retain.rule", "retain.rule %s: no legal_retention rule %s binds %s (country %q)", r.Rule, r.Rule, c.Owner, c.Keeping.Entity.Country)
				case r.Rule == "":
					for _, p := range kr.Check() {
						addD(".retain."+p.Field, "retain.%s", p.Msg)
					}
				}
				if r.FromColumn == "" {
					addD(".retain", "retain.from_column (the date the period runs from) is required")
				} else {
					column(".retain.from_column", r.FromColumn)
				}
			}
		} else if d.Retain != nil {
			addD(".retain", "retain is only for erase: retain")
		}

		for _, col := range d.Rectify {
			field := ".rectify." + col
			if column(field, col) {
				if _, ok := d.Categories[col]; !ok {
					addD(field, "rectify column %s is not mapped to a category", col)
				}
			}
		}
		if d.RestrictColumn != "" {
			column(".restrict_column", d.RestrictColumn)
		}
		if d.OptoutColumn != "" {
			column(".optout_column", d.OptoutColumn)
		}
		switch {
		case processor && d.TenantColumn == "":
			addD("", "tenant_column is required: a processor's jobs act in one customer tenant, told apart by the column naming each row's tenant")
		case !processor && d.TenantColumn != "":
			addD(".tenant_column", "tenant_column is for processors (role: processor)")
		case d.TenantColumn != "":
			column(".tenant_column", d.TenantColumn)
		}
		rectify = rectify || len(d.Rectify) > 0
		restrict = restrict || d.RestrictColumn != ""
		optout = optout || d.OptoutColumn != ""
	}
	for _, t := range c.Identities {
		if connectors.KnownIdentity(t) && len(s.Datasets) > 0 && !matched[t] {
			add("identities", "identity type %s is listed but no dataset matches on it", t)
		}
	}
	needs := []struct {
		action dsrflow.Action
		ok     bool
		what   string
	}{
		{dsrflow.ActionRectify, rectify, "a dataset with rectify columns"},
		{dsrflow.ActionRestrict, restrict, "a dataset with a restrict_column"},
		{dsrflow.ActionUnrestrict, restrict, "a dataset with a restrict_column"},
		{dsrflow.ActionOptout, optout, "a dataset with an optout_column"},
		{dsrflow.ActionWithdrawConsent, optout, "a dataset with an optout_column"},
		{dsrflow.ActionPurge, len(c.Retention) > 0, "retention rules"},
		{dsrflow.ActionPurgeKept, slices.ContainsFunc(s.Datasets, func(d Dataset) bool { return d.Erase == EraseRetain }) && slices.Contains(c.Actions, dsrflow.ActionErase), "erase and a dataset with erase: retain"},
	}
	for _, n := range needs {
		if slices.Contains(c.Actions, n.action) && !n.ok {
			add("actions", "action %s needs %s", n.action, n.what)
		}
	}
	return append(ps, s.checkRetention(c)...)
}

// datasetFields are the keys a dataset may have in connectors.yaml.
var datasetFields = []string{"table", "match", "categories", "erase", "mask", "rectify", "restrict_column", "optout_column", "retain", "tenant_column"}

// retainFields are the keys of a dataset's retain mapping.
var retainFields = []string{"rule", "basis", "detail", "years", "years_after", "from_column"}

// decodeDatasets reads a postgres connector's datasets list. It records the line of every key under
// its field path (datasets.0.mask.email) for Check's problems, and reports shape errors.
func decodeDatasets(sec *connectors.Section, v *yaml.Node) []Dataset {
	bad := sec.Bad
	if v.Kind != yaml.SequenceNode {
		bad(v.Line, "datasets must be a list")
		return nil
	}
	out := []Dataset{} // not nil: an empty list was given
	for i, item := range v.Content {
		item = connectors.Resolve(item)
		at := fmt.Sprintf("datasets.%d", i)
		sec.SetLine(at, item.Line)
		name := fmt.Sprintf("#%d", i+1)
		if item.Kind != yaml.MappingNode {
			bad(item.Line, "dataset %s: expected a mapping", name)
			out = append(out, Dataset{})
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			if k, v := item.Content[j], connectors.Resolve(item.Content[j+1]); k.Value == "table" && v.Kind == yaml.ScalarNode && v.Value != "" {
				name = v.Value
			}
		}
		badD := func(line int, format string, args ...any) {
			bad(line, "dataset %s: "+format, append([]any{name}, args...)...)
		}
		scalar := func(key string, v *yaml.Node) (string, bool) {
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				badD(v.Line, "%s must be a single value", key)
				return "", false
			}
			return v.Value, true
		}
		// pairs reads a flat mapping of names to values in file order, recording each key's line.
		pairs := func(key string, v *yaml.Node, fn func(k, val string)) {
			if v.Kind != yaml.MappingNode {
				badD(v.Line, "%s must be a mapping", key)
				return
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				k, e := v.Content[j], connectors.Resolve(v.Content[j+1])
				path := at + "." + key + "." + k.Value
				if sec.Recorded(path) {
					badD(k.Line, "%s: %s given twice", key, k.Value)
					continue
				}
				sec.SetLine(path, k.Line)
				if s, ok := scalar(key+"."+k.Value, e); ok {
					fn(k.Value, s)
				}
			}
		}
		var d Dataset
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], connectors.Resolve(item.Content[j+1])
			key := k.Value
			if !slices.Contains(datasetFields, key) {
				badD(k.Line, "unknown field %q", key)
				continue
			}
			path := at + "." + key
			if sec.Recorded(path) {
				badD(k.Line, "field %s given twice", key)
				continue
			}
			sec.SetLine(path, k.Line)
			switch key {
			case "table":
				d.Table, _ = scalar(key, v)
			case "match":
				pairs(key, v, func(col, src string) {
					m := Match{Column: col}
					if table, column, ok := strings.Cut(src, "."); ok {
						m.LinkTable, m.LinkColumn = table, column
					} else {
						m.Identity = src
					}
					d.Match = append(d.Match, m)
				})
			case "categories":
				d.Categories = map[string]string{}
				pairs(key, v, func(col, cat string) { d.Categories[col] = cat })
			case "erase":
				d.Erase, _ = scalar(key, v)
			case "mask":
				d.Mask = map[string]string{}
				pairs(key, v, func(col, s string) { d.Mask[col] = s })
			case "rectify":
				if v.Kind != yaml.SequenceNode {
					badD(v.Line, "rectify must be a list")
					continue
				}
				for _, e := range v.Content {
					e = connectors.Resolve(e)
					if s, ok := scalar("rectify entries", e); ok {
						sec.SetLine(path+"."+s, e.Line)
						d.Rectify = append(d.Rectify, s)
					}
				}
			case "restrict_column":
				d.RestrictColumn, _ = scalar(key, v)
			case "optout_column":
				d.OptoutColumn, _ = scalar(key, v)
			case "tenant_column":
				d.TenantColumn, _ = scalar(key, v)
			case "retain":
				r := &Retention{}
				if v.Kind != yaml.MappingNode {
					badD(v.Line, "retain must be a mapping")
					continue
				}
				for j := 0; j+1 < len(v.Content); j += 2 {
					k, e := v.Content[j], connectors.Resolve(v.Content[j+1])
					if !slices.Contains(retainFields, k.Value) {
						badD(k.Line, "unknown field retain.%s", k.Value)
						continue
					}
					sec.SetLine(path+"."+k.Value, k.Line)
					s, ok := scalar("retain."+k.Value, e)
					if !ok {
						continue
					}
					switch k.Value {
					case "rule":
						r.Rule = s
					case "years_after":
						r.YearsAfter = s
					case "basis":
						r.Basis = s
					case "detail":
						r.Detail = s
					case "from_column":
						r.FromColumn = s
					case "years":
						n, err := strconv.Atoi(s)
						if err != nil {
							badD(k.Line, "retain.years must be a whole number")
							continue
						}
						r.Years = n
					}
				}
				d.Retain = r
			}
		}
		out = append(out, d)
	}
	return out
}
