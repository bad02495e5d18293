// Package rest is the rest connector kind: dsrflow acts on a SaaS system (a CRM, a help desk, a mailing
// tool) through the system's own REST API, described in connectors.yaml rather than written as a
// service speaking protocol v1. Per dataset the configuration says how to find the subject's records by
// a verified identity (a request, its pagination, where the records are in the answer, which fields to
// keep with their categories) and, per action, the request to send for each record found. See
// connectors/README.md, "Writing a rest connector", and the ready templates in templates/.
package rest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
)

// Name is the kind's value of kind: in connectors.yaml.
const Name = "rest"

// Defaults of a rest connector's settings.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultRetries     = 3
	DefaultMaxPages    = 10
	DefaultRPS         = 10
	DefaultConcurrency = 4
	// MaxRetryWait bounds how long one call waits on a Retry-After before the job gives the wait back to
	// the activity's retry policy.
	MaxRetryWait = 60 * time.Second
)

// Settings are a rest connector's own configuration (connectors.Connector.Settings). They name the
// variables holding secrets, never the secrets: those are read when the connector is opened.
type Settings struct {
	// BaseURL is the API's root: request paths are appended to it.
	BaseURL string `yaml:"base_url"`
	Auth    Auth   `yaml:"auth"`
	// RateLimit bounds the calls this worker makes to the API.
	RateLimit RateLimit `yaml:"rate_limit"`
	// Timeout bounds one call.
	Timeout time.Duration `yaml:"-"`
	// Retries is how many times one call is retried (429, 5xx) within a job before the job fails for
	// the activity's own retry policy.
	Retries int `yaml:"retries"`
	// MaxPages bounds the pages of one read (a dataset or locate: may lower or raise it in
	// pagination.max_pages).
	MaxPages int       `yaml:"max_pages"`
	Datasets []Dataset `yaml:"datasets"`
	// Locate is a processor's request finding the customer tenants that hold a subject (role processor).
	Locate *Locate `yaml:"locate"`
	// Tenants map a processor's tenants, as the API names them, to the customers controlling them
	// (connectors.yaml's tenants:, read by connectors.DecodeTenants).
	Tenants connectors.Tenants `yaml:"-"`
	// locateGiven says connectors.yaml has a locate: key, even one Decode reported and left out (so
	// that the check does not also say it is missing).
	locateGiven bool
}

// Locate is a processor's request that finds which customer tenants hold data about the subject: its
// templates reference identities only; its answer holds the tenants' ids, which tenants: maps to
// customers. No record is read. Its answer is paged as a dataset's read is: every page is read, and
// more pages than max_pages fail the job rather than leave tenants out.
type Locate struct {
	Request `yaml:",inline"`
	// Results is the dotted path of the list of tenants in the answer ("data.tenants"); "" when the
	// answer is the list.
	Results string `yaml:"results"`
	// Tenant is the dotted path of the tenant's id within an item of the list (default "id"); an item
	// that is a string or number is the id itself.
	Tenant     string     `yaml:"tenant"`
	Pagination Pagination `yaml:"pagination"`
}

// Authentication types.
const (
	AuthNone   = "none"
	AuthBearer = "bearer"  // Authorization: Bearer $token_env
	AuthBasic  = "basic"   // username (or $username_env) and $password_env
	AuthAPIKey = "api_key" // $key_env in header: or query:
	AuthOAuth2 = "oauth2"  // client credentials at token_url, cached, fetched again on a 401
)

// Auth is how the connector authenticates to the API.
type Auth struct {
	Type            string   `yaml:"type"`
	TokenEnv        string   `yaml:"token_env"`
	Username        string   `yaml:"username"`
	UsernameEnv     string   `yaml:"username_env"`
	PasswordEnv     string   `yaml:"password_env"`
	Header          string   `yaml:"header"`
	Query           string   `yaml:"query"`
	KeyEnv          string   `yaml:"key_env"`
	TokenURL        string   `yaml:"token_url"`
	ClientID        string   `yaml:"client_id"`
	ClientSecretEnv string   `yaml:"client_secret_env"`
	Scopes          []string `yaml:"scopes"`
}

// envs returns the variables the authentication reads, by key.
func (a Auth) envs() map[string]string {
	out := map[string]string{}
	switch a.Type {
	case AuthBearer:
		out["token_env"] = a.TokenEnv
	case AuthBasic:
		if a.UsernameEnv != "" {
			out["username_env"] = a.UsernameEnv
		}
		out["password_env"] = a.PasswordEnv
	case AuthAPIKey:
		out["key_env"] = a.KeyEnv
	case AuthOAuth2:
		out["client_secret_env"] = a.ClientSecretEnv
	}
	return out
}

// RateLimit bounds the calls to the API from one worker process: RPS per second with bursts of Burst,
// at most Concurrency at once.
type RateLimit struct {
	RPS         float64 `yaml:"rps"`
	Burst       int     `yaml:"burst"`
	Concurrency int     `yaml:"concurrency"`
}

// Dataset is one kind of record the API holds for a subject (contacts, users, list members).
type Dataset struct {
	Name string `yaml:"name"`
	// Read finds the subject's records; its templates reference identities only.
	Read Request `yaml:"read"`
	// Records is the dotted path of the list of records in the read's answer ("results",
	// "exact_matches.members"); "" when the answer is the list.
	Records string `yaml:"records"`
	// ID is the dotted path of a record's id within it (default "id"): it tells records apart.
	ID         string     `yaml:"id"`
	Pagination Pagination `yaml:"pagination"`
	// Fields maps the dotted path of a field within a record to its data category: access returns
	// these fields, and only these.
	Fields map[string]string `yaml:"fields"`
	// Match keeps, of the records a read returns, only those whose field (a dotted path) equals the
	// identity the read was made with, ignoring case: a search that also returns near matches reaches
	// no one else. Field path -> identity type.
	Match map[string]string `yaml:"match"`
	// Keys are further fields of a record that action requests reference ({{record.list_id}}) but access
	// does not return. With the id they tell records apart.
	Keys []string `yaml:"keys"`
	// Purposes maps controller.yaml's purposes (email_marketing) to what this API calls them (a list or
	// subscription id), for withdraw_consent's {{purpose}}. A purpose not listed is one this dataset
	// records no consent for. Without the map {{purpose}} is the purpose's id as it is.
	Purposes map[string]string `yaml:"purposes"`
	// The requests each action sends per record found.
	Erase           *ActionRequest `yaml:"erase"`
	Rectify         *ActionRequest `yaml:"rectify"`
	Restrict        *ActionRequest `yaml:"restrict"`
	Optout          *ActionRequest `yaml:"optout"`
	WithdrawConsent *ActionRequest `yaml:"withdraw_consent"`
	Purge           *ActionRequest `yaml:"purge"`
	// PurgeRead lists the records past the retention cutoff ({{cutoff}}), for purge.
	PurgeRead *Request `yaml:"purge_read"`
}

// Request is one HTTP request, its templates, and what its answer codes mean. Codes not listed: 2xx
// done, 404 and 410 not found, 408, 429 and 5xx retried; anything else fails the job for a person.
type Request struct {
	Method string            `yaml:"method"`
	Path   string            `yaml:"path"`
	Query  map[string]string `yaml:"query"`
	Body   any               `yaml:"body"`
	// Done, NotFound and Retry list answer codes that mean done, nothing there, and try again.
	Done     []int `yaml:"done"`
	NotFound []int `yaml:"not_found"`
	Retry    []int `yaml:"retry"`
}

// Erase modes.
const (
	ModeDelete = "delete" // the record goes: a 404 means it went already
	ModeMask   = "mask"   // the record is updated with masked values (the request's body)
)

// ActionRequest is the request an action sends per record.
type ActionRequest struct {
	Request `yaml:",inline"`
	// Mode is, for erase, delete or mask: it is what the result counts (deleted, masked).
	Mode string `yaml:"mode"`
	// Then is a second request per record, sent after the first succeeded (a permanent deletion after
	// a soft one). A record the first reached and the second did not fails the job for a person.
	Then *Request `yaml:"then"`
}

// Pagination types.
const (
	PageNone   = "none"
	PageCursor = "cursor" // the answer's next cursor (next:) goes back in param:
	PageLink   = "link"   // the Link header's rel="next" URL
	PageOffset = "offset" // param: is the offset, limit_param: the page size
	PagePage   = "page"   // param: is the page number from start:, limit_param: the page size
)

// Pagination says how a read's answer continues.
type Pagination struct {
	Type string `yaml:"type"`
	// Param names the query parameter (or, with in: body, the body member) carrying the cursor, the
	// offset or the page number.
	Param string `yaml:"param"`
	// In is query (default) or body.
	In string `yaml:"in"`
	// Next is, for cursor, the dotted path of the next cursor in the answer; empty or absent ends.
	Next string `yaml:"next"`
	// LimitParam and Limit set the page size, for offset and page: a shorter page is the last.
	LimitParam string `yaml:"limit_param"`
	Limit      int    `yaml:"limit"`
	// Start is the first page's number (page; default 1).
	Start int `yaml:"start"`
	// MaxPages bounds the pages read (default the connector's max_pages).
	MaxPages int `yaml:"max_pages"`
}

// Of returns a rest connector's settings.
func Of(c connectors.Connector) (Settings, bool) {
	s, ok := c.Settings.(Settings)
	return s, ok
}

// Kind implements connectors.Settings.
func (Settings) Kind() string { return Name }

// Clone copies the datasets. Bodies are shared: nothing writes to them.
// DatasetCategories lists the datasets and the data categories their fields hold.
func (s Settings) DatasetCategories() []connectors.DatasetCategory {
	out := make([]connectors.DatasetCategory, len(s.Datasets))
	for i, d := range s.Datasets {
		out[i] = connectors.DatasetCategory{Dataset: d.Name, Categories: slices.Compact(slices.Sorted(maps.Values(d.Fields)))}
	}
	return out
}

func (s Settings) Clone() connectors.Settings {
	s.Auth.Scopes = slices.Clone(s.Auth.Scopes)
	ds := make([]Dataset, len(s.Datasets))
	for i, d := range s.Datasets {
		d.Fields = maps.Clone(d.Fields)
		d.Keys = slices.Clone(d.Keys)
		d.Match = maps.Clone(d.Match)
		d.Purposes = maps.Clone(d.Purposes)
		d.Read.Query = maps.Clone(d.Read.Query)
		ds[i] = d
	}
	if s.Datasets != nil {
		s.Datasets = ds
	}
	if s.Locate != nil {
		l := *s.Locate
		l.Query = maps.Clone(l.Query)
		s.Locate = &l
	}
	s.Tenants = maps.Clone(s.Tenants)
	return s
}

// TenantCustomers returns a processor's tenants and their customers (connectors.TenantMapper).
func (s Settings) TenantCustomers() connectors.Tenants { return maps.Clone(s.Tenants) }

// Defaults fills in the limits and, when the connector lists no categories, takes its datasets'.
func (s Settings) Defaults(c connectors.Connector) connectors.Connector {
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Retries == 0 {
		s.Retries = DefaultRetries
	}
	if s.MaxPages == 0 {
		s.MaxPages = DefaultMaxPages
	}
	if s.RateLimit.RPS == 0 {
		s.RateLimit.RPS = DefaultRPS
	}
	if s.RateLimit.Burst == 0 {
		s.RateLimit.Burst = max(1, int(s.RateLimit.RPS))
	}
	if s.RateLimit.Concurrency == 0 {
		s.RateLimit.Concurrency = DefaultConcurrency
	}
	if s.Auth.Type == "" {
		s.Auth.Type = AuthNone
	}
	if s.Locate != nil {
		l := *s.Locate
		if l.Method == "" {
			l.Method = http.MethodGet
		}
		if l.Tenant == "" {
			l.Tenant = "id"
		}
		l.Pagination = l.Pagination.withDefaults(s.MaxPages)
		s.Locate = &l
	}
	for i := range s.Datasets {
		d := &s.Datasets[i]
		if d.ID == "" {
			d.ID = "id"
		}
		if d.Read.Method == "" {
			d.Read.Method = http.MethodGet
		}
		d.Pagination = d.Pagination.withDefaults(s.MaxPages)
		if d.Erase != nil && d.Erase.Mode == ModeDelete && d.Erase.Method == "" {
			d.Erase.Method = http.MethodDelete
		}
		for _, a := range restActions[1:] {
			if r := d.requestFor(a); r != nil && r.Then != nil && r.Then.Method == "" {
				r.Then.Method = r.Method
			}
		}
		if d.PurgeRead != nil && d.PurgeRead.Method == "" {
			d.PurgeRead.Method = http.MethodGet
		}
	}
	if len(c.Categories) == 0 {
		for _, d := range s.Datasets {
			c.Categories = append(c.Categories, slices.Collect(maps.Values(d.Fields))...)
		}
		slices.Sort(c.Categories)
		c.Categories = slices.Compact(c.Categories)
	}
	c.Settings = s
	return c
}

// withDefaults fills in a pagination's type (none), in (query), first page number (1) and max_pages
// (the connector's).
func (p Pagination) withDefaults(maxPages int) Pagination {
	if p.Type == "" {
		p.Type = PageNone
	}
	if p.In == "" {
		p.In = "query"
	}
	if p.Type == PagePage && p.Start == 0 {
		p.Start = 1
	}
	if p.MaxPages == 0 {
		p.MaxPages = maxPages
	}
	return p
}

// restActions are the actions a rest connector can carry out.
var restActions = []dsrflow.Action{
	dsrflow.ActionAccess, dsrflow.ActionErase, dsrflow.ActionRectify, dsrflow.ActionRestrict,
	dsrflow.ActionOptout, dsrflow.ActionWithdrawConsent, dsrflow.ActionPurge,
}

// requestFor returns the dataset's request for an action (not access), nil when it has none.
func (d Dataset) requestFor(a dsrflow.Action) *ActionRequest {
	switch a {
	case dsrflow.ActionErase:
		return d.Erase
	case dsrflow.ActionRectify:
		return d.Rectify
	case dsrflow.ActionRestrict:
		return d.Restrict
	case dsrflow.ActionOptout:
		return d.Optout
	case dsrflow.ActionWithdrawConsent:
		return d.WithdrawConsent
	case dsrflow.ActionPurge:
		return d.Purge
	}
	return nil
}

var (
	datasetName = regexp.MustCompile(`^[a-z0-9_]+$`)
	dottedPath  = regexp.MustCompile(`^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$`)
	methods     = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
)

// Check checks a rest connector's settings against its common fields: every template parses and
// references what exists, every action listed has its requests, and every category is dotted. Problems
// name the dataset and the key.
func (s Settings) Check(c connectors.Connector) []connectors.Problem {
	var ps []connectors.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf(field, format, args...))
	}
	if c.Role == connectors.RolePartner {
		add("role", "a rest connector acts on data, so its role must be subsidiary or processor")
	}
	ps = append(ps, connectors.CheckTenants(c, s.Tenants)...)
	ps = append(ps, s.checkLocate(c)...)
	switch u, err := url.Parse(s.BaseURL); {
	case s.BaseURL == "":
		add("base_url", "base_url is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		add("base_url", "base_url must be an absolute http or https URL")
	case u.RawQuery != "" || u.Fragment != "":
		add("base_url", "base_url must not have a query or fragment")
	}
	ps = append(ps, s.Auth.check()...)
	if s.RateLimit.RPS < 0 || s.RateLimit.Burst < 0 || s.RateLimit.Concurrency < 0 {
		add("rate_limit", "rate_limit: rps, burst and concurrency must be positive")
	}
	if s.Timeout < 0 {
		add("timeout", "timeout must be positive")
	}
	if s.Retries < 0 || s.MaxPages < 0 {
		add("retries", "retries and max_pages must be positive")
	}
	for _, a := range c.Actions {
		if connectors.KnownAction(a) && !slices.Contains(restActions, a) && a != dsrflow.ActionLocate {
			add("actions", "kind rest does not support action %s", a)
		}
	}
	if len(s.Datasets) == 0 {
		add("datasets", "datasets must list at least one dataset")
	}
	names := map[string]bool{}
	for i, d := range s.Datasets {
		ps = append(ps, d.check(c, fmt.Sprintf("datasets.%d", i), i, names)...)
	}
	for _, a := range c.Actions {
		if a == dsrflow.ActionAccess || !slices.Contains(restActions, a) {
			continue
		}
		if !slices.ContainsFunc(s.Datasets, func(d Dataset) bool { return d.requestFor(a) != nil }) {
			add("actions", "action %s is listed but no dataset has a %s: request", a, a)
		}
	}
	return ps
}

// checkLocate checks a processor's locate: request, which only a processor has: identities only, and
// dotted paths to the tenants in the answer.
func (s Settings) checkLocate(c connectors.Connector) []connectors.Problem {
	var ps []connectors.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf(field, format, args...))
	}
	l := s.Locate
	switch {
	case l == nil && c.Role == connectors.RoleProcessor && !s.locateGiven:
		add("", "a processor of kind rest needs locate: the request that finds the customer tenants holding a subject")
		return ps
	case l == nil:
		return ps // absent, or reported by Decode
	case c.Role != connectors.RoleProcessor:
		add("locate", "locate: is for processors (role: processor)")
		return ps
	}
	if !slices.Contains(methods, l.Method) {
		add("locate.method", "locate: method must be GET, POST, PUT, PATCH or DELETE")
	}
	ps = append(ps, l.Pagination.check("locate.pagination", "locate: ", l.Request)...)
	if l.Results != "" && !dottedPath.MatchString(l.Results) {
		add("locate.results", "locate: results must be a dotted path like tenants or data.items")
	}
	if !dottedPath.MatchString(l.Tenant) {
		add("locate.tenant", "locate: tenant must be a dotted path like id")
	}
	var d Dataset
	ps = append(ps, d.checkRequest(c, "locate", "", "locate", l.Request, func(ref string) string {
		if connectors.KnownIdentity(ref) {
			return ""
		}
		return "locate finds tenants by identities ({{email}}, {{customer_id:SYSTEM}}), not by {{" + ref + "}}"
	})...)
	if rt, _ := parseRequest(l.Request); !slices.ContainsFunc(rt.refs(), connectors.KnownIdentity) {
		add("locate", "locate must reference an identity ({{email}}, {{phone}}, ...) to find the tenants holding the subject")
	}
	return ps
}

func (a Auth) check() []connectors.Problem {
	var ps []connectors.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf("auth."+field, "auth: "+format, args...))
	}
	need := func(key, v string) {
		if v == "" {
			add(key, "%s is required for type %s", key, a.Type)
		}
	}
	switch a.Type {
	case AuthNone, "":
	case AuthBearer:
		need("token_env", a.TokenEnv)
	case AuthBasic:
		if a.Username == "" && a.UsernameEnv == "" {
			add("username", "username or username_env is required for type basic")
		}
		need("password_env", a.PasswordEnv)
	case AuthAPIKey:
		need("key_env", a.KeyEnv)
		if (a.Header == "") == (a.Query == "") {
			add("header", "api_key needs exactly one of header: and query:")
		}
	case AuthOAuth2:
		need("token_url", a.TokenURL)
		need("client_id", a.ClientID)
		need("client_secret_env", a.ClientSecretEnv)
		if u, err := url.Parse(a.TokenURL); a.TokenURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			add("token_url", "token_url must be an absolute http or https URL")
		}
	default:
		add("type", "type must be none, bearer, basic, api_key or oauth2, not %q", a.Type)
	}
	return ps
}

func (d Dataset) check(c connectors.Connector, at string, i int, names map[string]bool) []connectors.Problem {
	var ps []connectors.Problem
	name := d.Name
	if name == "" {
		name = fmt.Sprintf("#%d", i+1)
	}
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf(at+field, "dataset %s: "+format, append([]any{name}, args...)...))
	}
	switch {
	case d.Name == "":
		add("", "name is required")
	case !datasetName.MatchString(d.Name):
		add(".name", "name must match [a-z0-9_]+")
	case names[d.Name]:
		add(".name", "name given twice")
	}
	names[d.Name] = true
	if d.Records != "" && !dottedPath.MatchString(d.Records) {
		add(".records", "records must be a dotted path like results or data.items")
	}
	if !dottedPath.MatchString(d.ID) {
		add(".id", "id must be a dotted path like id")
	}
	if len(d.Fields) == 0 {
		add(".fields", "fields must map at least one field to a data category")
	}
	for _, f := range slices.Sorted(maps.Keys(d.Fields)) {
		cat := d.Fields[f]
		switch {
		case !dottedPath.MatchString(f):
			add(".fields", "field %q must be a dotted path", f)
		case !connectors.ValidCategory(cat):
			add(".fields."+f, "field %s: category %q must be dotted lower case, like user.contact.email", f, cat)
		case !slices.Contains(c.Categories, cat):
			add(".fields."+f, "field %s: category %s is not among the connector's categories", f, cat)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(d.Match)) {
		switch t := d.Match[f]; {
		case !dottedPath.MatchString(f):
			add(".match", "match field %q must be a dotted path", f)
		case !slices.Contains(c.Identities, t):
			add(".match."+f, "match %s: identity type %q is not among the connector's identities", f, t)
		}
	}
	for _, k := range d.Keys {
		if !dottedPath.MatchString(k) {
			add(".keys", "key %q must be a dotted path", k)
		}
	}
	known := func(field string) bool {
		return field == d.ID || slices.Contains(d.Keys, field) || d.Fields[field] != ""
	}
	for _, p := range slices.Sorted(maps.Keys(d.Purposes)) {
		switch {
		case !purposeID.MatchString(p):
			add(".purposes", "purpose %q must be a purpose id of controller.yaml, like email_marketing", p)
		case strings.TrimSpace(d.Purposes[p]) == "":
			add(".purposes."+p, "purpose %s: the API's name for it is empty", p)
		}
	}
	if len(d.Purposes) > 0 && d.WithdrawConsent == nil {
		add(".purposes", "purposes: is for withdraw_consent, which the dataset does not give")
	}

	// The read: identities only, and at least one; in a processor, the tenant too.
	processor := c.Role == connectors.RoleProcessor
	tenantOK := func(ref string) (string, bool) {
		if ref != refTenant {
			return "", false
		}
		if !processor {
			return "{{tenant}} is for processors (role: processor)", true
		}
		return "", true
	}
	ps = append(ps, d.checkRequest(c, at+".read", name, "read", d.Read, func(ref string) string {
		if msg, ok := tenantOK(ref); ok {
			return msg
		}
		if connectors.KnownIdentity(ref) {
			return ""
		}
		return "a read finds records by identities ({{email}}, {{customer_id:SYSTEM}}), not by {{" + ref + "}}"
	})...)
	rt, _ := parseRequest(d.Read)
	if !slices.ContainsFunc(rt.refs(), connectors.KnownIdentity) {
		add(".read", "read must reference an identity ({{email}}, {{phone}}, ...) to find the subject's records")
	}
	if processor && !slices.Contains(rt.refs(), refTenant) {
		// A read across tenants would act on other customers' data.
		add(".read", "read must reference {{tenant}}: a processor reads and acts in the instructing customer's tenant only")
	}
	if !slices.Contains(methods, d.Read.Method) {
		add(".read.method", "read: method must be GET, POST, PUT, PATCH or DELETE")
	}
	ps = append(ps, d.Pagination.check(at+".pagination", "dataset "+name+": ", d.Read)...)

	for _, a := range restActions[1:] {
		r := d.requestFor(a)
		if r == nil {
			if a == dsrflow.ActionErase && c.Supports(a) {
				// Every dataset holds the subject's data: an erasure that passed one over would be silent.
				add("", "erase: is required, since the connector supports erase (mode delete or mask)")
			}
			continue
		}
		field := at + "." + string(a)
		if !c.Supports(a) {
			add("."+string(a), "%s: is given but the connector's actions do not list %s", a, a)
		}
		if !slices.Contains(methods, r.Method) {
			add("."+string(a)+".method", "%s: method must be GET, POST, PUT, PATCH or DELETE", a)
		}
		switch {
		case a == dsrflow.ActionErase && r.Mode != ModeDelete && r.Mode != ModeMask:
			add(".erase.mode", "erase: mode must be delete or mask")
		case a != dsrflow.ActionErase && r.Mode != "":
			add("."+string(a)+".mode", "%s: mode is for erase only", a)
		}
		refOK := func(ref string) string {
			if msg, ok := tenantOK(ref); ok {
				return msg
			}
			switch {
			case connectors.KnownIdentity(ref):
				return ""
			case strings.HasPrefix(ref, refRecord):
				if f := strings.TrimPrefix(ref, refRecord); !known(f) {
					return "{{" + ref + "}}: " + f + " is not the dataset's id, one of its fields or keys"
				}
				return ""
			case ref == refPurpose && a == dsrflow.ActionWithdrawConsent:
				return ""
			case strings.HasPrefix(ref, refCorrection) && a == dsrflow.ActionRectify:
				if cat := strings.TrimPrefix(ref, refCorrection); !slices.Contains(slices.Collect(maps.Values(d.Fields)), cat) {
					return "{{" + ref + "}}: " + cat + " is not a category of the dataset's fields"
				}
				return ""
			}
			return "{{" + ref + "}} is not an identity, record.FIELD" + map[dsrflow.Action]string{dsrflow.ActionRectify: " or correction.CATEGORY", dsrflow.ActionWithdrawConsent: " or purpose"}[a]
		}
		ps = append(ps, d.checkRequest(c, field, name, string(a), r.Request, refOK)...)
		if r.Then != nil {
			ps = append(ps, d.checkRequest(c, field+".then", name, string(a)+": then", *r.Then, refOK)...)
		}
	}
	if d.Purge != nil && d.PurgeRead == nil {
		add(".purge", "purge: needs purge_read: the request listing records past {{cutoff}}")
	}
	if d.PurgeRead != nil {
		ps = append(ps, d.checkRequest(c, at+".purge_read", name, "purge_read", *d.PurgeRead, func(ref string) string {
			if ref == refCutoff {
				return ""
			}
			return "purge_read may reference only {{cutoff}}, not {{" + ref + "}}"
		})...)
	}
	return ps
}

// checkRequest parses a request's templates and checks each reference with bad ("" when allowed).
// Problems name the dataset, when the request is one's, and what the request is for.
func (d Dataset) checkRequest(c connectors.Connector, at, dataset, what string, r Request, bad func(ref string) string) []connectors.Problem {
	var ps []connectors.Problem
	prefix := "dataset " + dataset + ": " + what + ": "
	if dataset == "" {
		prefix = what + ": " // a connector's own request (locate:)
	}
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf(at+field, prefix+format, args...))
	}
	if r.Path == "" {
		add(".path", "path is required")
	}
	rt, errs := parseRequest(r)
	for _, e := range errs {
		add("."+e.field, "%s: %s", e.field, e.msg)
	}
	for _, ref := range rt.refs() {
		if msg := bad(ref); msg != "" {
			add("", "%s", msg)
		} else if connectors.KnownIdentity(ref) && !slices.Contains(c.Identities, ref) {
			add("", "{{%s}} is not among the connector's identities", ref)
		}
	}
	for _, codes := range [][]int{r.Done, r.NotFound, r.Retry} {
		for _, code := range codes {
			if code < 100 || code > 599 {
				add("", "answer code %d is not an HTTP status", code)
			}
		}
	}
	return ps
}

// check checks a pagination of the request read; what names whose it is ("dataset contacts: ",
// "locate: ").
func (p Pagination) check(at, what string, read Request) []connectors.Problem {
	var ps []connectors.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, connectors.Problemf(at+field, "%spagination: "+format, append([]any{what}, args...)...))
	}
	need := func(key, v string) {
		if v == "" {
			add("."+key, "%s is required for type %s", key, p.Type)
		}
	}
	switch p.Type {
	case PageNone, PageLink:
	case PageCursor:
		need("param", p.Param)
		need("next", p.Next)
		if p.Next != "" && !dottedPath.MatchString(p.Next) {
			add(".next", "next must be a dotted path")
		}
	case PageOffset, PagePage:
		need("param", p.Param)
		need("limit_param", p.LimitParam)
		if p.Limit < 1 {
			add(".limit", "limit (the page size) must be at least 1")
		}
	default:
		add(".type", "type must be none, cursor, link, offset or page, not %q", p.Type)
	}
	switch p.In {
	case "query", "":
	case "body":
		if _, ok := read.Body.(map[string]any); !ok {
			add(".in", "in: body needs the request to have a body mapping")
		}
	default:
		add(".in", "in must be query or body")
	}
	if p.MaxPages < 0 {
		add(".max_pages", "max_pages must be positive")
	}
	return ps
}
