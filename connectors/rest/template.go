package rest

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Templates: the path, query values and body of a request name what they need in {{...}}: an identity
// type ({{email}}, {{phone}}, {{name}}, {{customer_id:crm}}), a field of the record acted on
// ({{record.id}}, {{record.list_id}}), a corrected value ({{correction.user.name}}), the purpose a
// consent is withdrawn for ({{purpose}}), the purge cutoff ({{cutoff}}) or, in a processor, the customer
// tenant a job acts in ({{tenant}}). Each is escaped for where it goes: a path segment by url.PathEscape, a query value by
// url.Values, a body value as a JSON string. Nothing is ever concatenated into JSON or a URL as text.

// Reference prefixes and names a template may use beside identity types.
const (
	refRecord     = "record."
	refCorrection = "correction."
	refCutoff     = "cutoff"
	// refPurpose is the purpose a withdraw_consent request withdraws consent for (Dataset.Purposes).
	refPurpose = "purpose"
	// refTenant is a processor job's customer tenant (connectors.Job.Tenant).
	refTenant = "tenant"
)

// purposeID is how controller.yaml writes a purpose's id: as a dataset's name is written.
var purposeID = datasetName

// template is a parsed text with {{...}} references.
type template struct {
	parts []part
}

type part struct {
	text string
	ref  bool // text is a reference's name
}

// parseTemplate reads s; an unclosed or empty {{ }} is an error.
func parseTemplate(s string) (template, error) {
	var t template
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			if strings.Contains(s, "}}") {
				return template{}, fmt.Errorf("}} without {{")
			}
			t.parts = append(t.parts, part{text: s})
			break
		}
		if i > 0 {
			if strings.Contains(s[:i], "}}") {
				return template{}, fmt.Errorf("}} without {{")
			}
			t.parts = append(t.parts, part{text: s[:i]})
		}
		s = s[i+2:]
		j := strings.Index(s, "}}")
		if j < 0 {
			return template{}, fmt.Errorf("{{ is not closed")
		}
		name := strings.TrimSpace(s[:j])
		if name == "" || strings.ContainsAny(name, "{} ") {
			return template{}, fmt.Errorf("{{%s}} is not a reference", s[:j])
		}
		t.parts = append(t.parts, part{text: name, ref: true})
		s = s[j+2:]
	}
	return t, nil
}

// refs returns the names the template references.
func (t template) refs() []string {
	var out []string
	for _, p := range t.parts {
		if p.ref {
			out = append(out, p.text)
		}
	}
	return out
}

// only returns the reference when the template is that reference and nothing else.
func (t template) only() (string, bool) {
	if len(t.parts) == 1 && t.parts[0].ref {
		return t.parts[0].text, true
	}
	return "", false
}

// vars are the values references resolve to for one request.
type vars map[string]string

// errMissing is a reference with no value for the job (a correction not asked for).
type errMissing struct{ ref string }

func (e errMissing) Error() string { return "no value for {{" + e.ref + "}}" }

// render writes the template, each reference's value passed through escape.
func (t template) render(v vars, escape func(string) (string, error)) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.ref {
			b.WriteString(p.text)
			continue
		}
		val, ok := v[p.text]
		if !ok {
			return "", errMissing{p.text}
		}
		esc, err := escape(val)
		if err != nil {
			return "", fmt.Errorf("{{%s}}: %w", p.text, err)
		}
		b.WriteString(esc)
	}
	return b.String(), nil
}

func asIs(s string) (string, error) { return s, nil }

// pathSegment escapes a value for a path: a slash inside it stays inside its segment, and a value that
// would climb the path (. or ..) is refused.
func pathSegment(s string) (string, error) {
	if s == "" || s == "." || s == ".." {
		return "", fmt.Errorf("value cannot be a path segment")
	}
	return url.PathEscape(s), nil
}

// requestTemplates are a request's parsed templates.
type requestTemplates struct {
	path  template
	query map[string]template
	body  any // the body with each string a template
}

// parseRequest parses a request's path, query and body.
func parseRequest(r Request) (requestTemplates, []fieldError) {
	var rt requestTemplates
	var errs []fieldError
	p, err := parseTemplate(r.Path)
	if err != nil {
		errs = append(errs, fieldError{"path", err.Error()})
	} else if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "?# ") {
		errs = append(errs, fieldError{"path", "path must start with / and hold no query, fragment or space (query values go in query:)"})
	}
	rt.path = p
	rt.query = map[string]template{}
	for _, k := range slices.Sorted(maps.Keys(r.Query)) {
		q, err := parseTemplate(r.Query[k])
		if err != nil {
			errs = append(errs, fieldError{"query." + k, err.Error()})
		}
		rt.query[k] = q
	}
	rt.body, errs = parseBody(r.Body, "body", errs)
	return rt, errs
}

type fieldError struct {
	field, msg string
}

func parseBody(v any, at string, errs []fieldError) (any, []fieldError) {
	switch v := v.(type) {
	case string:
		t, err := parseTemplate(v)
		if err != nil {
			errs = append(errs, fieldError{at, err.Error()})
		}
		return t, errs
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out[k], errs = parseBody(v[k], at+"."+k, errs)
		}
		return out, errs
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i], errs = parseBody(e, fmt.Sprintf("%s.%d", at, i), errs)
		}
		return out, errs
	}
	return v, errs
}

// refs returns every reference of the request's templates.
func (rt requestTemplates) refs() []string {
	out := rt.path.refs()
	for _, q := range rt.query {
		out = append(out, q.refs()...)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case template:
			out = append(out, v.refs()...)
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(rt.body)
	slices.Sort(out)
	return slices.Compact(out)
}

// renderPath renders the path with each value a path segment.
func (rt requestTemplates) renderPath(v vars) (string, error) {
	return rt.path.render(v, pathSegment)
}

// renderQuery renders the query values.
func (rt requestTemplates) renderQuery(v vars) (url.Values, error) {
	q := url.Values{}
	for k, t := range rt.query {
		s, err := t.render(v, asIs)
		if err != nil {
			return nil, err
		}
		q.Set(k, s)
	}
	return q, nil
}

// renderBody builds the body as a JSON value: a string that is one reference becomes that value, a
// mixed one the rendered text, each a JSON string. A member whose value is a correction the job does not
// ask for is left out, so that a rectify job writes only what it corrects. nil when there is no body.
func (rt requestTemplates) renderBody(v vars) (any, error) {
	if rt.body == nil {
		return nil, nil
	}
	out, _, err := renderValue(rt.body, v)
	return out, err
}

// renderValue renders one value; omit reports a lone correction reference without a value.
func renderValue(val any, v vars) (out any, omit bool, err error) {
	switch t := val.(type) {
	case template:
		if ref, ok := t.only(); ok && strings.HasPrefix(ref, refCorrection) {
			if _, has := v[ref]; !has {
				return nil, true, nil
			}
		}
		s, err := t.render(v, asIs)
		return s, false, err
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			r, omit, err := renderValue(e, v)
			if err != nil {
				return nil, false, err
			}
			if !omit {
				m[k] = r
			}
		}
		return m, false, nil
	case []any:
		l := make([]any, 0, len(t))
		for _, e := range t {
			r, omit, err := renderValue(e, v)
			if err != nil {
				return nil, false, err
			}
			if !omit {
				l = append(l, r)
			}
		}
		return l, false, nil
	}
	return val, false, nil
}
