package connectors

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow"
)

// Roles a connector plays for its owner's data.
const (
	RoleSubsidiary = "subsidiary" // dsrflow acts on its data
	RolePartner    = "partner"    // a recipient dsrflow notifies (GDPR Art. 19)
)

// Kinds of connector: a system's HTTP API, a database dsrflow reaches, or a team working by hand (manual.go).
const (
	KindHTTP     = "http"
	KindPostgres = "postgres"
	KindManual   = "manual"
)

// Defaults for the optional fields of connectors.yaml.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultConcurrency = 4
	// MinSecretBytes is the shortest HMAC secret accepted.
	MinSecretBytes = 32
	// DefaultAccessLimit is how many rows a postgres connector's access job returns at most.
	DefaultAccessLimit = 10000
	// MaxAccessLimit bounds access_limit: the rows of one job are held in memory and in the store.
	MaxAccessLimit = 1000000
	// DefaultJobTable is the table in a postgres connector's database that logs its jobs.
	DefaultJobTable = "dsrflow_jobs"
)

// Connector is one system of one legal entity, as configured in connectors.yaml. It travels through
// Temporal as an activity argument, so the secret is never serialised: activities look the connector
// up in the Registry by ID to sign.
type Connector struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
	Role  string `json:"role"`
	Kind  string `json:"kind"`
	URL   string `json:"url"`
	// Secret is the HMAC key shared with the connector, read from the secret_env variable.
	Secret  []byte           `json:"-"`
	Actions []dsrflow.Action `json:"actions"`
	// Identities are the identity types the connector matches on: email, name, phone, customer_id:SYSTEM.
	Identities []string `json:"identities"`
	// Categories are the data categories the connector holds (user.contact.email, ...).
	Categories  []string      `json:"categories,omitempty"`
	Timeout     time.Duration `json:"timeout"`
	Concurrency int           `json:"concurrency"`
	// DSNEnv names the variable holding a postgres connector's connection string. The string itself is
	// read when the connector is opened (connectors/postgres), so it never travels with the Connector.
	DSNEnv string `json:"dsn_env,omitempty"`
	// Datasets map a postgres connector's tables (mapping.go).
	Datasets []Dataset `json:"datasets,omitempty"`
	// AccessLimit is the most rows a postgres connector's access job returns (over all datasets);
	// a job that stops there says so per dataset (DatasetResult.Truncated).
	AccessLimit int `json:"access_limit,omitempty"`
	// JobTable is the table in a postgres connector's database where each job that writes is logged,
	// in the job's own transaction, so that a job runs once (connectors/postgres).
	JobTable string `json:"job_table,omitempty"`
	// Retention are the periods after which the connector's data of a category goes, swept daily by
	// purge jobs (workflows.Retention).
	Retention []RetentionRule `json:"retention,omitempty"`
	// Channel and Instructions are a manual connector's (manual.go).
	Channel      string `json:"channel,omitempty"`
	Instructions string `json:"instructions,omitempty"`
}

// RetentionRule says that data of a category goes once its last activity is older than Age: "leads
// are deleted no later than 24 months after the last registered activity".
type RetentionRule struct {
	Category string `json:"category"`
	Age      Age    `json:"age"`
	// ActivityField names the field holding the last activity date: for an http connector's information;
	// for a postgres connector, the date column its purge compares with the cutoff.
	ActivityField string `json:"activity_field"`
}

// Age is a retention period in calendar months and days: months are counted with time.AddDate, so 24
// months before 2026-03-02 is 2024-03-02 whatever the leap years.
type Age struct {
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
}

// Cutoff returns the time Age before now: data last active before it is past its period.
func (a Age) Cutoff(now time.Time) time.Time { return now.AddDate(0, -a.Months, -a.Days) }

// String formats the age as connectors.yaml accepts it.
func (a Age) String() string {
	switch {
	case a.Months == 0:
		return fmt.Sprintf("%dd", a.Days)
	case a.Days == 0:
		return fmt.Sprintf("%d months", a.Months)
	}
	return fmt.Sprintf("%d months %dd", a.Months, a.Days)
}

var agePattern = regexp.MustCompile(`^(\d+)\s*(d|days?|months?|y|years?)$`)

// ParseAge reads a retention age: "24 months", "2 years", "730d" or "730 days".
func ParseAge(s string) (Age, error) {
	m := agePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Age{}, fmt.Errorf("age %q must be a whole number of days, months or years, like 24 months or 730d", s)
	}
	n, err := strconv.Atoi(m[1])
	var age Age
	switch m[2][0] {
	case 'd':
		age = Age{Days: n}
	case 'y':
		age = Age{Months: 12 * n}
	default:
		age = Age{Months: n}
	}
	if err != nil || n < 1 || age.Months > 1200 || age.Days > 36600 {
		return Age{}, fmt.Errorf("age %q must be at least one day and at most 100 years", s)
	}
	return age, nil
}

// Supports reports whether the connector is configured for the action.
func (c Connector) Supports(a dsrflow.Action) bool { return slices.Contains(c.Actions, a) }

// Matches reports whether the subject gave at least one identity type the connector matches on.
func (c Connector) Matches(id dsrflow.Identity) bool {
	for _, t := range id.Types() {
		if slices.Contains(c.Identities, t) {
			return true
		}
	}
	return false
}

func (c Connector) clone() Connector {
	c.Secret = slices.Clone(c.Secret)
	c.Actions = slices.Clone(c.Actions)
	c.Identities = slices.Clone(c.Identities)
	c.Categories = slices.Clone(c.Categories)
	c.Retention = slices.Clone(c.Retention)
	if c.Datasets != nil {
		ds := make([]Dataset, len(c.Datasets))
		for i, d := range c.Datasets {
			ds[i] = d.clone()
		}
		c.Datasets = ds
	}
	return c
}

// Registry holds the configured connectors by id. It is read-only after Load, safe for concurrent use.
type Registry struct {
	byID map[string]Connector
	ids  []string // sorted
}

// NewRegistry validates connectors built in code (tests, the demo) as Load validates connectors.yaml.
// Zero Timeout and Concurrency get their defaults.
func NewRegistry(conns ...Connector) (*Registry, error) {
	var errs []error
	seen := map[string]bool{}
	out := make([]Connector, 0, len(conns))
	for i, c := range conns {
		c = c.clone()
		applyDefaults(&c)
		name := c.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		for _, p := range validate(c) {
			errs = append(errs, fmt.Errorf("connector %s: %s", name, p.msg))
		}
		if c.ID != "" && seen[c.ID] {
			errs = append(errs, fmt.Errorf("connector %s: duplicate id", name))
		}
		seen[c.ID] = true
		out = append(out, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newRegistry(out), nil
}

func newRegistry(conns []Connector) *Registry {
	r := &Registry{byID: make(map[string]Connector, len(conns))}
	for _, c := range conns {
		r.byID[c.ID] = c
		r.ids = append(r.ids, c.ID)
	}
	slices.Sort(r.ids)
	return r
}

// Get returns the connector with the id.
func (r *Registry) Get(id string) (Connector, bool) {
	c, ok := r.byID[id]
	if !ok {
		return Connector{}, false
	}
	return c.clone(), true
}

// List returns every connector, sorted by id.
func (r *Registry) List() []Connector {
	return r.filter(func(Connector) bool { return true })
}

// Select returns the connectors that support the action and match on at least one identity type the
// subject gave (customer_id:crm matches when the identity has a customer id for "crm"), sorted by id.
func (r *Registry) Select(action dsrflow.Action, id dsrflow.Identity) []Connector {
	return r.filter(func(c Connector) bool { return c.Supports(action) && c.Matches(id) })
}

// Partners returns the partner connectors, sorted by id.
func (r *Registry) Partners() []Connector {
	return r.filter(func(c Connector) bool { return c.Role == RolePartner })
}

func (r *Registry) filter(keep func(Connector) bool) []Connector {
	var out []Connector
	for _, id := range r.ids {
		if c := r.byID[id]; keep(c) {
			out = append(out, c.clone())
		}
	}
	return out
}

// Load reads connectors.yaml; secrets come from the variables the file names, through getenv.
// Every error names the file, the line and the connector.
func Load(path string, getenv func(string) string) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	return parse(path, data, getenv)
}

// Parse is Load for the contents of a connectors.yaml; errors name it "connectors.yaml".
func Parse(data []byte, getenv func(string) string) (*Registry, error) {
	return parse("connectors.yaml", data, getenv)
}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9_-]+$`)
	categoryPattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
	yamlLineError   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// knownActions are the actions connectors.yaml may list.
var knownActions = []dsrflow.Action{
	dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict,
	dsrflow.ActionObject, dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent, dsrflow.ActionPurge,
	dsrflow.ActionNotify,
}

// problem is one validation failure; field names the yaml key it is about ("" for the connector).
type problem struct {
	field string
	msg   string
}

func applyDefaults(c *Connector) {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Kind == KindPostgres {
		if c.AccessLimit == 0 {
			c.AccessLimit = DefaultAccessLimit
		}
		if c.JobTable == "" {
			c.JobTable = DefaultJobTable
		}
	}
	// A postgres connector's categories are those its datasets map, unless listed.
	if c.Kind == KindPostgres && len(c.Categories) == 0 {
		for _, d := range c.Datasets {
			c.Categories = append(c.Categories, d.CategoryList()...)
		}
		slices.Sort(c.Categories)
		c.Categories = slices.Compact(c.Categories)
	}
}

// validate checks one connector; it is shared by connectors.yaml and NewRegistry.
func validate(c Connector) []problem {
	var ps []problem
	add := func(field, format string, args ...any) {
		ps = append(ps, problem{field, fmt.Sprintf(format, args...)})
	}
	if c.ID == "" {
		add("id", "id is required")
	} else if !idPattern.MatchString(c.ID) {
		add("id", "id must match [a-z0-9_-]+")
	}
	if strings.TrimSpace(c.Owner) == "" {
		add("owner", "owner (the legal entity) is required")
	}
	switch c.Role {
	case RoleSubsidiary, RolePartner:
	case "":
		add("role", "role is required (subsidiary or partner)")
	default:
		add("role", "role must be subsidiary or partner")
	}
	switch c.Kind {
	case KindHTTP, KindPostgres, KindManual:
	case "":
		add("kind", "kind is required (http, postgres or manual)")
	default:
		add("kind", "kind must be http, postgres or manual")
	}
	ps = append(ps, validateManual(c)...)
	if c.Kind == KindPostgres {
		ps = append(ps, validatePostgres(c)...)
	} else if c.Kind != KindManual {
		if c.DSNEnv != "" {
			add("dsn_env", "dsn_env is for postgres connectors")
		}
		if c.Datasets != nil {
			add("datasets", "datasets are for postgres connectors")
		}
		if c.AccessLimit != 0 {
			add("access_limit", "access_limit is for postgres connectors")
		}
		if c.JobTable != "" {
			add("job_table", "job_table is for postgres connectors")
		}
		if c.URL == "" {
			add("url", "url is required")
		} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("url", "url must be an absolute http or https URL")
		} else if u.RawQuery != "" || u.Fragment != "" {
			add("url", "url must not have a query or fragment")
		}
		if len(c.Secret) == 0 {
			add("secret_env", "secret is required")
		} else if len(c.Secret) < MinSecretBytes {
			add("secret_env", "secret must be at least %d bytes", MinSecretBytes)
		}
	}
	if len(c.Actions) == 0 {
		add("actions", "actions must list at least one action")
	}
	for i, a := range c.Actions {
		switch {
		case !slices.Contains(knownActions, a):
			add("actions", "unknown action %q", a)
		case slices.Contains(c.Actions[:i], a):
			add("actions", "action %s listed twice", a)
		case c.Role == RolePartner && a != dsrflow.ActionNotify:
			add("actions", "a partner supports only notify, not %s", a)
		case c.Role == RoleSubsidiary && a == dsrflow.ActionNotify:
			add("actions", "notify is for partners; a subsidiary cannot list it")
		}
	}
	if len(c.Identities) == 0 {
		add("identities", "identities must list at least one identity type")
	}
	for i, t := range c.Identities {
		switch {
		case !knownIdentity(t):
			add("identities", "unknown identity type %q (email, name, phone or customer_id:SYSTEM)", t)
		case slices.Contains(c.Identities[:i], t):
			add("identities", "identity type %s listed twice", t)
		}
	}
	for _, cat := range c.Categories {
		if !categoryPattern.MatchString(cat) {
			add("categories", "category %q must be dotted lower case, like user.contact.email", cat)
		}
	}
	if c.Timeout < 0 {
		add("timeout", "timeout must be positive")
	}
	if c.Concurrency < 0 {
		add("concurrency", "concurrency must be at least 1")
	}
	return append(ps, validateRetention(c)...)
}

// validateRetention checks a connector's retention rules. A connector with rules must list purge among
// its actions: the operator states that the system can delete by date, rather than dsrflow adding an
// action the system may refuse every night.
func validateRetention(c Connector) []problem {
	if len(c.Retention) == 0 {
		return nil
	}
	var ps []problem
	add := func(field, format string, args ...any) {
		ps = append(ps, problem{field, fmt.Sprintf(format, args...)})
	}
	if !c.Supports(dsrflow.ActionPurge) {
		add("retention", "a connector with retention rules must list purge in actions")
	}
	var first Age // the first rule's age that is set
	for _, r := range c.Retention {
		if r.Age != (Age{}) {
			first = r.Age
			break
		}
	}
	for i, r := range c.Retention {
		field := fmt.Sprintf("retention.%d", i)
		switch {
		case r.Category == "":
			add(field+".category", "retention #%d: category is required", i+1)
		case !categoryPattern.MatchString(r.Category):
			add(field+".category", "retention #%d: category %q must be dotted lower case, like user.marketing.lead", i+1, r.Category)
		case len(c.Categories) > 0 && !slices.Contains(c.Categories, r.Category):
			add(field+".category", "retention #%d: category %s is not among the connector's categories", i+1, r.Category)
		case slices.ContainsFunc(c.Retention[:i], func(o RetentionRule) bool { return o.Category == r.Category }):
			add(field+".category", "retention #%d: category %s has a rule already", i+1, r.Category)
		}
		switch {
		case r.Age == (Age{}):
			add(field+".age", "retention #%d: age is required, like 24 months or 730d", i+1)
		case r.Age.Months < 0 || r.Age.Days < 0:
			add(field+".age", "retention #%d: age must be positive", i+1)
		case r.Age != first:
			// A purge job carries one cutoff.
			add(field+".age", "retention #%d: every rule of a connector must have the same age (%s), since one purge job carries one cutoff", i+1, first)
		}
		if r.ActivityField == "" {
			add(field+".activity_field", "retention #%d: activity_field is required", i+1)
		}
	}
	if c.Kind == KindPostgres {
		ps = append(ps, validatePostgresRetention(c)...)
	}
	return ps
}

// RetentionCategories returns the categories the connector's retention rules cover.
func (c Connector) RetentionCategories() []string {
	out := make([]string, 0, len(c.Retention))
	for _, r := range c.Retention {
		out = append(out, r.Category)
	}
	return out
}

func knownIdentity(t string) bool {
	switch t {
	case dsrflow.IdentityEmail, dsrflow.IdentityName, dsrflow.IdentityPhone:
		return true
	}
	system, ok := strings.CutPrefix(t, dsrflow.IdentityCustomerID+":")
	return ok && idPattern.MatchString(system)
}

// connectorFields are the keys a connector may have in connectors.yaml.
var connectorFields = []string{"id", "owner", "role", "kind", "url", "secret_env", "actions", "identities", "categories", "timeout", "concurrency", "dsn_env", "datasets", "retention", "access_limit", "job_table", "channel", "instructions"}

func parse(name string, data []byte, getenv func(string) string) (*Registry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", name, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	errorf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file; expected a connectors: list", name)
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, errorf(root.Line, "expected a mapping with a connectors: list")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		if k.Value != "connectors" {
			return nil, errorf(k.Line, "unknown field %q (expected connectors)", k.Value)
		}
		list = v
	}
	if list == nil {
		return nil, errorf(root.Line, "connectors: list is missing")
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return newRegistry(nil), nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, errorf(list.Line, "connectors must be a list")
	}

	var errs []error
	seen := map[string]int{}
	var conns []Connector
	for i, item := range list.Content {
		item = resolve(item)
		label := fmt.Sprintf("#%d", i+1)
		if item.Kind != yaml.MappingNode {
			errs = append(errs, errorf(item.Line, "connector %s: expected a mapping", label))
			continue
		}
		c, lines, perrs := decodeConnector(item, getenv)
		if c.ID != "" {
			label = c.ID
		}
		for _, p := range perrs {
			errs = append(errs, errorf(p.line, "connector %s: %s", label, p.msg))
		}
		applyDefaults(&c)
		for _, p := range validate(c) {
			if p.field == "secret_env" && c.Kind != KindPostgres {
				continue // decodeConnector reports secrets, naming the variable
			}
			if _, reported := lines[p.field+reportedSuffix]; reported {
				continue
			}
			line := lineOf(lines, p.field, item.Line)
			errs = append(errs, errorf(line, "connector %s: %s", label, p.msg))
		}
		if c.ID != "" {
			if first, dup := seen[c.ID]; dup {
				errs = append(errs, errorf(lines["id"], "connector %s: duplicate id (first defined on line %d)", label, first))
			} else {
				seen[c.ID] = lines["id"]
			}
		}
		conns = append(conns, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newRegistry(conns), nil
}

// lineOf returns the line of a field path (datasets.0.mask.email), or of its nearest recorded parent,
// or def.
func lineOf(lines map[string]int, field string, def int) int {
	for field != "" {
		if line, ok := lines[field]; ok {
			return line
		}
		i := strings.LastIndexByte(field, '.')
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return def
}

type lineProblem struct {
	line int
	msg  string
}

// decodeConnector reads one connector mapping; it reports shape errors (unknown keys, wrong types,
// missing secret variable) with their lines and leaves the meaning to validate.
func decodeConnector(m *yaml.Node, getenv func(string) string) (Connector, map[string]int, []lineProblem) {
	var (
		c     Connector
		lines = map[string]int{}
		ps    []lineProblem
	)
	bad := func(line int, format string, args ...any) {
		ps = append(ps, lineProblem{line, fmt.Sprintf(format, args...)})
	}
	scalar := func(key string, v *yaml.Node) (string, bool) {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			bad(v.Line, "%s must be a single value", key)
			return "", false
		}
		return v.Value, true
	}
	list := func(key string, v *yaml.Node) []string {
		if v.Kind != yaml.SequenceNode {
			bad(v.Line, "%s must be a list", key)
			return nil
		}
		var out []string
		for _, e := range v.Content {
			e = resolve(e)
			if s, ok := scalar(key+" entries", e); ok {
				out = append(out, s)
			}
		}
		return out
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolve(m.Content[i+1])
		key := k.Value
		if !slices.Contains(connectorFields, key) {
			bad(k.Line, "unknown field %q", key)
			continue
		}
		if _, dup := lines[key]; dup {
			bad(k.Line, "field %s given twice", key)
			continue
		}
		lines[key] = k.Line
		switch key {
		case "id":
			c.ID, _ = scalar(key, v)
		case "owner":
			c.Owner, _ = scalar(key, v)
		case "role":
			c.Role, _ = scalar(key, v)
		case "kind":
			c.Kind, _ = scalar(key, v)
		case "url":
			c.URL, _ = scalar(key, v)
		case "secret_env":
			env, ok := scalar(key, v)
			if !ok {
				continue
			}
			if env == "" {
				bad(k.Line, "secret_env must name an environment variable")
				continue
			}
			secret := getenv(env)
			if secret == "" {
				bad(k.Line, "secret_env: variable %s is not set", env)
				continue
			}
			if len(secret) < MinSecretBytes {
				bad(k.Line, "secret_env: variable %s must hold at least %d bytes", env, MinSecretBytes)
				continue
			}
			c.Secret = []byte(secret)
		case "actions":
			for _, a := range list(key, v) {
				c.Actions = append(c.Actions, dsrflow.Action(a))
			}
		case "identities":
			c.Identities = list(key, v)
		case "categories":
			c.Categories = list(key, v)
		case "timeout":
			s, ok := scalar(key, v)
			if !ok {
				continue
			}
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				bad(k.Line, "timeout must be a positive duration like 30s")
				continue
			}
			c.Timeout = d
		case "concurrency":
			s, ok := scalar(key, v)
			if !ok {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				bad(k.Line, "concurrency must be a whole number of at least 1")
				continue
			}
			c.Concurrency = n
		case "dsn_env":
			env, ok := scalar(key, v)
			if !ok {
				continue
			}
			if getenv(env) == "" {
				bad(k.Line, "dsn_env: variable %s is not set", env)
			}
			c.DSNEnv = env
		case "access_limit":
			s, ok := scalar(key, v)
			if !ok {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > MaxAccessLimit {
				bad(k.Line, "access_limit must be a whole number of rows from 1 to %d", MaxAccessLimit)
				continue
			}
			c.AccessLimit = n
		case "job_table":
			c.JobTable, _ = scalar(key, v)
		case "datasets":
			c.Datasets = decodeDatasets(v, lines, bad)
		case "retention":
			c.Retention = decodeRetention(v, lines, bad)
		case "channel":
			c.Channel, _ = scalar(key, v)
		case "instructions":
			c.Instructions, _ = scalar(key, v)
		}
	}
	if _, ok := lines["secret_env"]; !ok && c.Kind != KindPostgres && c.Kind != KindManual {
		bad(m.Line, "secret_env is required")
	}
	return c, lines, ps
}

// reportedSuffix marks a field path in the lines map whose value decodeConnector already reported as
// malformed, so validate's message about the field left unset is not repeated.
const reportedSuffix = "#reported"

// retentionFields are the keys a retention rule may have.
var retentionFields = []string{"category", "age", "activity_field"}

// decodeRetention reads a connector's retention: list, recording each rule's and key's line as
// retention.N and retention.N.key.
func decodeRetention(v *yaml.Node, lines map[string]int, bad func(int, string, ...any)) []RetentionRule {
	if v.Kind != yaml.SequenceNode {
		bad(v.Line, "retention must be a list")
		return nil
	}
	out := []RetentionRule{}
	for i, item := range v.Content {
		item = resolve(item)
		at := fmt.Sprintf("retention.%d", i)
		lines[at] = item.Line
		if item.Kind != yaml.MappingNode {
			bad(item.Line, "retention #%d: expected a mapping with category, age and activity_field", i+1)
			continue
		}
		var r RetentionRule
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, e := item.Content[j], resolve(item.Content[j+1])
			if !slices.Contains(retentionFields, k.Value) {
				bad(k.Line, "retention #%d: unknown field %q (expected category, age, activity_field)", i+1, k.Value)
				continue
			}
			if _, dup := lines[at+"."+k.Value]; dup {
				bad(k.Line, "retention #%d: field %s given twice", i+1, k.Value)
				continue
			}
			lines[at+"."+k.Value] = k.Line
			if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
				bad(e.Line, "retention #%d: %s must be a single value", i+1, k.Value)
				continue
			}
			switch k.Value {
			case "category":
				r.Category = e.Value
			case "activity_field":
				r.ActivityField = e.Value
			case "age":
				age, err := ParseAge(e.Value)
				if err != nil {
					bad(e.Line, "retention #%d: %v", i+1, err)
					lines[at+".age"+reportedSuffix] = e.Line // validate's "age is required" would repeat it
					continue
				}
				r.Age = age
			}
		}
		out = append(out, r)
	}
	return out
}

// resolve follows a yaml alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
