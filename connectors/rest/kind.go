package rest

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow/connectors"
)

func init() { connectors.Register(kind{}) }

type kind struct{}

func (kind) Name() string { return Name }
func (kind) Fields() []string {
	return []string{"base_url", "auth", "rate_limit", "timeout", "retries", "max_pages", "datasets", "locate", connectors.TenantsField}
}

// Decode reads the kind's keys: unknown keys anywhere below them are reported with their lines, and the
// variables auth names must be set (their values are read again when the connector is opened).
func (kind) Decode(sec *connectors.Section) connectors.Settings {
	var s Settings
	s.BaseURL, _ = sec.String("base_url")
	if sec.Has("timeout") {
		s.Timeout, _ = sec.Duration("timeout")
	}
	for key, dst := range map[string]*int{"retries": &s.Retries, "max_pages": &s.MaxPages} {
		if v, ok := sec.String(key); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				sec.Reported(key, "%s must be a whole number of at least 1", key)
			}
			*dst = n
		}
	}
	decode(sec, "auth", &s.Auth)
	decode(sec, "rate_limit", &s.RateLimit)
	decode(sec, "datasets", &s.Datasets)
	decode(sec, "locate", &s.Locate)
	s.locateGiven = sec.Has("locate")
	s.Tenants = connectors.DecodeTenants(sec)
	for _, key := range slices.Sorted(maps.Keys(s.Auth.envs())) {
		env := s.Auth.envs()[key]
		if env != "" && sec.Getenv(env) == "" {
			sec.Reported("auth."+key, "auth: %s: variable %s is not set", key, env)
		}
	}
	return s
}

// decode reads a key into dst, after reporting the keys below it that dst has no field for.
func decode(sec *connectors.Section, key string, dst any) {
	n := sec.Node(key)
	if n == nil {
		return
	}
	if !walk(sec, n, reflect.TypeOf(dst).Elem(), key) {
		return
	}
	if err := n.Decode(dst); err != nil {
		msg := strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "), "\n  ", "; ")
		sec.Reported(key, "%s: %s", key, msg)
	}
}

// walk checks a node's keys against the type it decodes into, records their lines as field paths
// (datasets.0.read.path), and reports unknown ones. It returns false when it reported something.
func walk(sec *connectors.Section, n *yaml.Node, t reflect.Type, at string) bool {
	n = connectors.Resolve(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ok := true
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			sec.Reported(at, "%s must be a mapping", at)
			return false
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := at + "." + k.Value
			if sec.Recorded(path) {
				sec.Bad(k.Line, "%s given twice", path)
				ok = false
				continue
			}
			sec.SetLine(path, k.Line)
			ft, known := fields[k.Value]
			if !known {
				sec.Bad(k.Line, "%s: unknown field %q", at, k.Value)
				ok = false
				continue
			}
			ok = walk(sec, v, ft, path) && ok
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return true
			}
			sec.Reported(at, "%s must be a list", at)
			return false
		}
		for i, e := range n.Content {
			path := fmt.Sprintf("%s.%d", at, i)
			sec.SetLine(path, e.Line)
			ok = walk(sec, e, t.Elem(), path) && ok
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			sec.Reported(at, "%s must be a mapping", at)
			return false
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			sec.SetLine(at+"."+n.Content[i].Value, n.Content[i].Line)
		}
	}
	return ok
}

// yamlFields maps a struct's yaml keys to their types, inline structs included.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
		case opts == "inline":
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
		case name != "":
			out[name] = f.Type
		}
	}
	return out
}

// Open makes the connector's runner: it reads the secrets the settings name and parses the templates.
// Nothing is called at start.
func (kind) Open(_ context.Context, c connectors.Connector, env connectors.Env) (connectors.Runner, error) {
	r, err := open(c, env.Getenv)
	if err != nil {
		return nil, err
	}
	if env.Throttle != nil && c.Limits.Rate > 0 {
		r.pace = func(ctx context.Context) error { return env.Throttle.Pace(ctx, c) }
	}
	return r, nil
}
