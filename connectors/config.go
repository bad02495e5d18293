package connectors

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow"
)

// Roles a connector plays for its owner's data.
const (
	RoleSubsidiary = "subsidiary" // dsrflow acts on its data
	RolePartner    = "partner"    // a recipient dsrflow notifies (GDPR Art. 19)
	// RoleProcessor: a system where the group processes data on behalf of business customers (GDPR
	// Art. 28). It answers locate jobs (which customer tenants hold the subject) and, later, the actions a
	// customer instructs for its own tenant; never a subject's own access, erase or other job.
	RoleProcessor = "processor"
)

// ProcessorActions are what a processor may execute in one customer tenant on the customer's
// instruction (a routed item), besides locate.
var ProcessorActions = []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict}

// Connector is one system of one legal entity, as configured in connectors.yaml: the fields every kind
// has, and its kind's Settings (kind.go). Activities look it up in the Registry by ID; workflows see a
// ConnectorRef, never the Connector, so its secrets never travel through Temporal.
type Connector struct {
	ID    string `json:"id"`
	Owner string `json:"owner"`
	Role  string `json:"role"`
	// Kind names the registered kind (Register) that reads Settings and opens the connector's Runner.
	Kind    string           `json:"kind"`
	Actions []dsrflow.Action `json:"actions"`
	// Identities are the identity types the connector matches on: email, name, phone, customer_id:SYSTEM.
	Identities []string `json:"identities"`
	// Categories are the data categories the connector holds (user.contact.email, ...).
	Categories []string `json:"categories,omitempty"`
	// Retention are the periods after which the connector's data of a category goes, swept daily by
	// purge jobs (workflows.Retention).
	Retention []RetentionRule `json:"retention,omitempty"`
	// Recipients are the partner connectors this subsidiary's system shares the subject's data with
	// (GDPR Art. 19): a partner is told of a rectification, erasure or restriction only when a job of the
	// request found the subject here, and only such partners are named in the answer.
	Recipients []string `json:"recipients,omitempty"`
	// Limits bound the load dsrflow puts on the connector's system across every worker (limits.go):
	// connectors.yaml's max_concurrent, rate and burst.
	Limits Limits `json:"-"`
	// Keeping is what binds the owner when it keeps data an erasure leaves (keep.go): its financial
	// year and keep rules, from connectors.yaml's legal_entities: and legal_retention:.
	Keeping Keeping `json:"-"`
	// Settings are the kind's own configuration (an http connector's URL and secret, a postgres
	// connector's mapping). Not serialised: they may hold secrets.
	Settings Settings `json:"-"`
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

var agePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)\s*(d|days?|months?|y|years?)$`) })

// ParseAge reads a retention age: "24 months", "2 years", "730d" or "730 days".
func ParseAge(s string) (Age, error) {
	m := agePattern().FindStringSubmatch(strings.TrimSpace(s))
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
	c.Actions = slices.Clone(c.Actions)
	c.Identities = slices.Clone(c.Identities)
	c.Categories = slices.Clone(c.Categories)
	c.Retention = slices.Clone(c.Retention)
	c.Recipients = slices.Clone(c.Recipients)
	if c.Settings != nil {
		c.Settings = c.Settings.Clone()
	}
	return c
}

// Registry holds the configured connectors by id. It is read-only after Load, safe for concurrent use.
type Registry struct {
	byID map[string]Connector
	ids  []string // sorted
}

// NewRegistry validates connectors built in code (tests, the demo) as Load validates connectors.yaml.
// An empty Kind is taken from the Settings' kind; the kind's defaults are filled in.
func NewRegistry(conns ...Connector) (*Registry, error) {
	var errs []error
	seen := map[string]bool{}
	out := make([]Connector, 0, len(conns))
	for i, c := range conns {
		c = c.clone()
		name := c.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		if c.Settings == nil {
			errs = append(errs, fmt.Errorf("connector %s: no settings for kind %q", name, c.Kind))
			continue
		}
		if c.Kind == "" {
			c.Kind = c.Settings.Kind()
		} else if c.Kind != c.Settings.Kind() {
			errs = append(errs, fmt.Errorf("connector %s: kind %s with the settings of kind %s", name, c.Kind, c.Settings.Kind()))
			continue
		}
		c = c.Settings.Defaults(c)
		for _, p := range validate(c) {
			errs = append(errs, fmt.Errorf("connector %s: %s", name, p.Msg))
		}
		if c.ID != "" && seen[c.ID] {
			errs = append(errs, fmt.Errorf("connector %s: duplicate id", name))
		}
		seen[c.ID] = true
		out = append(out, c)
	}
	for _, p := range checkRecipients(out) {
		errs = append(errs, fmt.Errorf("connector %s: %s", out[p.index].ID, p.msg))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return newRegistry(out), nil
}

type recipientProblem struct {
	index, entry int
	msg          string
}

// checkRecipients checks that every connector's recipients name partner connectors of the same
// configuration: a recipient dsrflow cannot notify is a configuration error, not a silent gap.
func checkRecipients(conns []Connector) []recipientProblem {
	role := map[string]string{}
	for _, c := range conns {
		role[c.ID] = c.Role
	}
	var ps []recipientProblem
	for i, c := range conns {
		for j, id := range c.Recipients {
			r, ok := role[id]
			switch {
			case c.Role == RolePartner:
				ps = append(ps, recipientProblem{i, j, "recipients are for subsidiaries: a partner does not pass data on through dsrflow"})
				return ps
			case !ok:
				ps = append(ps, recipientProblem{i, j, fmt.Sprintf("recipients: %q is not a configured connector (it must name a partner connector)", id)})
			case r != RolePartner:
				ps = append(ps, recipientProblem{i, j, fmt.Sprintf("recipients: %s is a %s, not a partner connector", id, r)})
			case slices.Contains(c.Recipients[:j], id):
				ps = append(ps, recipientProblem{i, j, fmt.Sprintf("recipients: %s listed twice", id)})
			}
		}
	}
	return ps
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

// RecipientsOf returns the partner connectors that the given connectors declare as recipients of their
// data, sorted by id: the partners that received the data of a subject those connectors hold.
func (r *Registry) RecipientsOf(holders []string) []Connector {
	named := map[string]bool{}
	for _, id := range holders {
		if c, ok := r.byID[id]; ok {
			for _, p := range c.Recipients {
				named[p] = true
			}
		}
	}
	return r.filter(func(c Connector) bool { return c.Role == RolePartner && named[c.ID] })
}

// Processors returns the processor connectors that match on one of the subject's identity types,
// sorted by id: the systems asked to locate customer tenants holding the subject.
func (r *Registry) Processors(id dsrflow.Identity) []Connector {
	return r.filter(func(c Connector) bool { return c.Role == RoleProcessor && c.Matches(id) })
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
// Every error names the file, the line and the connector. The kinds the file uses must be registered
// (import connectors/kinds).
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
	dsrflow.ActionNotify, dsrflow.ActionOptoutSale, dsrflow.ActionPurgeKept, dsrflow.ActionUnrestrict,
	dsrflow.ActionLocate,
}

// PartnerActions are what a partner (a recipient of the data) may be asked: to take note of a
// rectification, erasure or restriction (notify, GDPR Art. 19), and to stop marketing to the subject
// (optout: an objection to direct marketing binds recipients too, Art. 21(3)).
var PartnerActions = []dsrflow.Action{dsrflow.ActionNotify, dsrflow.ActionOptout}

// KnownAction reports whether connectors.yaml may list the action.
func KnownAction(a dsrflow.Action) bool { return slices.Contains(knownActions, a) }

// ValidCategory reports whether a data category is written as connectors.yaml wants: dotted lower
// case, like user.contact.email.
func ValidCategory(s string) bool { return categoryPattern.MatchString(s) }

// validate checks one connector, the common fields here and the rest by its kind; it is shared by
// connectors.yaml and NewRegistry.
func validate(c Connector) []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problemf(field, format, args...))
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
	case RoleSubsidiary, RolePartner, RoleProcessor:
	case "":
		add("role", "role is required (subsidiary, partner or processor)")
	default:
		add("role", "role must be subsidiary, partner or processor")
	}
	if c.Role == RoleProcessor {
		if !c.Supports(dsrflow.ActionLocate) {
			add("actions", "a processor must list locate: dsrflow asks it which customer tenants hold the subject")
		}
		if len(c.Retention) > 0 {
			add("retention", "a processor keeps its customers' data as they instruct; retention rules are for subsidiaries")
		}
		if len(c.Recipients) > 0 {
			add("recipients", "recipients are for subsidiaries: a processor's customers control whom their data goes to")
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
		case c.Role == RolePartner && !slices.Contains(PartnerActions, a):
			add("actions", "a partner supports only notify and optout, not %s", a)
		case c.Role == RoleSubsidiary && a == dsrflow.ActionNotify:
			add("actions", "notify is for partners; a subsidiary cannot list it")
		case c.Role == RoleProcessor && a != dsrflow.ActionLocate && !slices.Contains(ProcessorActions, a):
			add("actions", "a processor supports only locate and, on a customer's instruction, access, erase, rectify and restrict, not %s", a)
		case c.Role != RoleProcessor && a == dsrflow.ActionLocate:
			add("actions", "locate is for processors (role: processor)")
		}
	}
	if len(c.Identities) == 0 {
		add("identities", "identities must list at least one identity type")
	}
	for i, t := range c.Identities {
		switch {
		case !KnownIdentity(t):
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
	ps = append(ps, validateRetention(c)...)
	ps = append(ps, c.Limits.check(c)...)
	if _, ok := LookupKind(c.Kind); !ok {
		return append(ps, Problem{"kind", unknownKind(c.Kind)})
	}
	if c.Settings == nil {
		return ps // the kind's keys could not be read; the parser said why
	}
	return append(ps, c.Settings.Check(c)...)
}

// validateRetention checks a connector's retention rules. A connector with rules must list purge among
// its actions: the operator states that the system can delete by date, rather than dsrflow adding an
// action the system may refuse every night. What a rule means for a kind's data is the kind's to check.
func validateRetention(c Connector) []Problem {
	if len(c.Retention) == 0 {
		return nil
	}
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problemf(field, format, args...))
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
	return ps
}

// KnownIdentity reports whether connectors.yaml may name the identity type: email, name, phone,
// national_id (a keyed hash, from an eID verification), birthdate or customer_id:SYSTEM.
func KnownIdentity(t string) bool {
	switch t {
	case dsrflow.IdentityEmail, dsrflow.IdentityName, dsrflow.IdentityPhone, dsrflow.IdentityNationalID, dsrflow.IdentityBirthdate:
		return true
	}
	system, ok := strings.CutPrefix(t, dsrflow.IdentityCustomerID+":")
	return ok && idPattern.MatchString(system)
}

// commonFields are the keys every connector may have in connectors.yaml; the rest are its kind's
// (Kind.Fields).
var commonFields = []string{"id", "owner", "role", "kind", "actions", "identities", "categories", "retention", "recipients",
	"max_concurrent", "rate", "burst"}

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
	root := Resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, errorf(root.Line, "expected a mapping with a connectors: list")
	}
	var list *yaml.Node
	var kc KeepConfig
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], Resolve(root.Content[i+1])
		if slices.Contains(keepSections, k.Value) {
			errs = append(errs, decodeKeepSection(&kc, k.Value, v, errorf)...)
			continue
		}
		if k.Value != "connectors" {
			return nil, errorf(k.Line, "unknown field %q (expected connectors, legal_entities or legal_retention)", k.Value)
		}
		list = v
	}
	errs = append(errs, checkKeepEntities(kc, errorf)...)
	if list == nil {
		return nil, errorf(root.Line, "connectors: list is missing")
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return newRegistry(nil), nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, errorf(list.Line, "connectors must be a list")
	}

	seen := map[string]int{}
	var conns []Connector
	var recipientLines []int
	for i, item := range list.Content {
		item = Resolve(item)
		label := fmt.Sprintf("#%d", i+1)
		if item.Kind != yaml.MappingNode {
			errs = append(errs, errorf(item.Line, "connector %s: expected a mapping", label))
			continue
		}
		c, lines, ps := decodeConnector(item, getenv)
		if c.ID != "" {
			label = c.ID
		}
		c.Keeping = kc.For(c.Owner)
		if c.Settings != nil {
			c = c.Settings.Defaults(c)
		}
		for _, p := range validate(c) {
			if _, reported := lines[p.Field+reportedSuffix]; reported {
				continue
			}
			ps = append(ps, lineProblem{lineOf(lines, p.Field, item.Line), p.Msg})
		}
		// In file order, whichever of the common and the kind's checks found them.
		slices.SortStableFunc(ps, func(a, b lineProblem) int { return a.line - b.line })
		for _, p := range ps {
			errs = append(errs, errorf(p.line, "connector %s: %s", label, p.msg))
		}
		if c.ID != "" {
			if first, dup := seen[c.ID]; dup {
				errs = append(errs, errorf(lines["id"], "connector %s: duplicate id (first defined on line %d)", label, first))
			} else {
				seen[c.ID] = lines["id"]
			}
		}
		conns = append(conns, c)
		recipientLines = append(recipientLines, lineOf(lines, "recipients", item.Line))
	}
	if len(errs) == 0 {
		for _, p := range checkRecipients(conns) {
			errs = append(errs, errorf(recipientLines[p.index], "connector %s: %s", conns[p.index].ID, p.msg))
		}
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

// decodeConnector reads one connector mapping: the common keys here, its kind's through the kind's
// Decode. It reports shape errors (unknown keys, a key of another kind, wrong types, a missing secret
// variable) with their lines and leaves the meaning to validate. Settings stay nil when the kind is
// not known.
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
			e = Resolve(e)
			if s, ok := scalar(key+" entries", e); ok {
				out = append(out, s)
			}
		}
		return out
	}
	// The kind first: it says which other keys the connector may have.
	var (
		kind     Kind
		kindName string
	)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "kind" {
			if v := Resolve(m.Content[i+1]); v.Kind == yaml.ScalarNode {
				kind, _ = LookupKind(v.Value)
				kindName = v.Value
			}
			break
		}
	}
	sec := &Section{values: map[string]*yaml.Node{}, line: m.Line, lines: lines, bad: bad, getenv: getenv}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], Resolve(m.Content[i+1])
		key := k.Value
		if _, dup := lines[key]; dup {
			bad(k.Line, "field %s given twice", key)
			continue
		}
		if !slices.Contains(commonFields, key) {
			switch owners := kindsOwning(key, kindName); {
			case kind != nil && slices.Contains(kind.Fields(), key):
				lines[key] = k.Line
				sec.values[key] = v
			case kind != nil && len(owners) > 0:
				bad(k.Line, "field %s is for %s connectors, not %s ones", key, strings.Join(owners, " or "), kindName)
			case kind == nil && len(owners) > 0:
				// The kind is unknown or missing, which validate reports; the key may be right for the
				// kind meant.
			default:
				bad(k.Line, "unknown field %q", key)
			}
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
		case "actions":
			for _, a := range list(key, v) {
				c.Actions = append(c.Actions, dsrflow.Action(a))
			}
		case "identities":
			c.Identities = list(key, v)
		case "categories":
			c.Categories = list(key, v)
		case "retention":
			c.Retention = decodeRetention(v, lines, bad)
		case "recipients":
			c.Recipients = list(key, v)
		case "max_concurrent", "rate", "burst":
			if s, ok := scalar(key, v); ok {
				decodeLimit(&c.Limits, key, s, func(format string, args ...any) {
					bad(v.Line, format, args...)
					lines[key+reportedSuffix] = v.Line
				})
			}
		}
	}
	if kind != nil {
		c.Settings = kind.Decode(sec)
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
		item = Resolve(item)
		at := fmt.Sprintf("retention.%d", i)
		lines[at] = item.Line
		if item.Kind != yaml.MappingNode {
			bad(item.Line, "retention #%d: expected a mapping with category, age and activity_field", i+1)
			continue
		}
		var r RetentionRule
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, e := item.Content[j], Resolve(item.Content[j+1])
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
