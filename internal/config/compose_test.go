package config_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dsrflow/dsrflow/internal/config"
)

// The compose check: every DSR_*, TEMPORAL_* or DATABASE_* variable that docker-compose.yml gives a
// dsrflow service must be one the code reads, and every variable the service's program requires
// (config.Vars[i].Required) must be given.

// composeFile is the part of a compose file the check needs.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string    `yaml:"image"`
	Build       yaml.Node `yaml:"build"`
	Command     yaml.Node `yaml:"command"`
	Entrypoint  yaml.Node `yaml:"entrypoint"`
	Environment yaml.Node `yaml:"environment"`
	EnvFile     yaml.Node `yaml:"env_file"`
}

// checkedPrefixes are the variable names the check owns; other variables (POSTGRES_*, SQL_*...) belong
// to other programs.
var checkedPrefixes = []string{"DSR_", "TEMPORAL_", "DATABASE_"}

func checked(name string) bool {
	for _, p := range checkedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// isDsrflow reports whether a service runs this repository's image: it is built here, or its image is
// named dsrflow (dsrflow:dev, ghcr.io/acme/dsrflow:1.2 ...).
func isDsrflow(s composeService) bool {
	if !s.Build.IsZero() {
		return true
	}
	name := s.Image
	if i := strings.LastIndex(name, "@"); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	return path.Base(name) == "dsrflow"
}

// words returns a string or list node as words. Compose splits a string shell-style; plain
// whitespace splitting is enough for the commands this file names.
func words(n yaml.Node) ([]string, error) {
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return strings.Fields(n.Value), nil
	case yaml.SequenceNode:
		var out []string
		if err := n.Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: expected a string or a list", n.Line)
}

// program names what a dsrflow service runs, in the vocabulary of config.Var.Required: "worker",
// "serve", "migrate", "setup" (`starter temporal setup`), or "dev" for `worker --dev` (which requires nothing).
func program(s composeService) (string, error) {
	entry, err := words(s.Entrypoint)
	if err != nil {
		return "", fmt.Errorf("entrypoint: %w", err)
	}
	cmd, err := words(s.Command)
	if err != nil {
		return "", fmt.Errorf("command: %w", err)
	}
	argv := append(entry, cmd...)
	if len(argv) == 0 {
		argv = []string{"worker"} // the image's CMD
	}
	switch path.Base(argv[0]) {
	case "worker":
		if slices.Contains(argv[1:], "--dev") || slices.Contains(argv[1:], "-dev") {
			return "dev", nil
		}
		return "worker", nil
	case "starter", "dsrflow-admin": // starter hands serve, migrate and temporal setup over to dsrflow-admin
		for _, a := range argv[1:] {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if a == "serve" || a == "migrate" {
				return a, nil
			}
			if a == "temporal" && slices.Contains(argv, "setup") {
				return "setup", nil
			}
			break
		}
	}
	return "", fmt.Errorf("cannot tell which program %q runs (expected worker, starter (or dsrflow-admin) serve, migrate or temporal setup); teach compose_test.go", strings.Join(argv, " "))
}

// environment returns the variable names a service sets, from either form of `environment`.
func environment(n yaml.Node) ([]string, error) {
	var names []string
	switch n.Kind {
	case 0:
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			names = append(names, n.Content[i].Value)
		}
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return nil, fmt.Errorf("environment: %w", err)
		}
		for _, kv := range list {
			name, _, _ := strings.Cut(kv, "=")
			names = append(names, strings.TrimSpace(name))
		}
	default:
		return nil, fmt.Errorf("environment (line %d): expected a map or a list", n.Line)
	}
	return names, nil
}

// composeProblem is one finding, naming the service and the variable.
type composeProblem struct {
	Service, Var, Problem string
}

func (p composeProblem) String() string {
	if p.Var == "" {
		return fmt.Sprintf("service %s: %s", p.Service, p.Problem)
	}
	return fmt.Sprintf("service %s: %s: %s", p.Service, p.Var, p.Problem)
}

// checkCompose checks a compose file. read holds the variables the code reads; vars is the registry.
// It also returns the program each dsrflow service runs.
func checkCompose(data []byte, read map[string]bool, vars []config.Var) (problems []composeProblem, programs map[string]string, err error) {
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, nil, err
	}
	if len(f.Services) == 0 {
		return nil, nil, errors.New("no services")
	}
	registry := map[string]config.Var{}
	for _, v := range vars {
		registry[v.Name] = v
	}
	programs = map[string]string{}
	names := make([]string, 0, len(f.Services))
	for name := range f.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := f.Services[name]
		if !isDsrflow(s) {
			continue
		}
		add := func(v, format string, args ...any) {
			problems = append(problems, composeProblem{Service: name, Var: v, Problem: fmt.Sprintf(format, args...)})
		}
		if !s.EnvFile.IsZero() {
			add("", "uses env_file, which this check cannot see; set dsrflow's variables under environment")
		}
		set, err := environment(s.Environment)
		if err != nil {
			add("", "%v", err)
			continue
		}
		given := map[string]bool{}
		for _, v := range set {
			given[v] = true
			if !checked(v) {
				continue
			}
			switch _, listed := registry[v]; {
			case !listed:
				add(v, "not in config.Vars: dsrflow does not read it (misspelt, or missing from the registry)")
			case !read[v]:
				add(v, "listed in config.Vars but no non-test Go code reads it")
			}
		}
		prog, err := program(s)
		if err != nil {
			add("", "%v", err)
			continue
		}
		programs[name] = prog
		for _, v := range vars {
			if slices.Contains(v.Required, prog) && !given[v.Name] {
				add(v.Name, "required by %s but not set", prog)
			}
		}
	}
	return problems, programs, nil
}

// moduleRoot finds the directory holding go.mod, from the test's working directory up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// readVars returns the config.Vars names that appear as a Go string literal ("NAME") in some non-test
// .go file of the module. The initialiser of config.Vars itself does not count (every name is there
// by definition); the readers in config.go (r.str("NAME") ...) do.
func readVars(t *testing.T, root string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, v := range config.Vars {
		names[v.Name] = true
	}
	read := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if p != root && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		registry := f.Name.Name == "config" && filepath.Dir(p) == filepath.Join(root, "internal", "config")
		ast.Inspect(f, func(n ast.Node) bool {
			if registry {
				if vs, ok := n.(*ast.ValueSpec); ok && slices.ContainsFunc(vs.Names, func(id *ast.Ident) bool { return id.Name == "Vars" }) {
					return false
				}
			}
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && names[s] {
					read[s] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return read
}

func TestDockerComposeVariables(t *testing.T) {
	root := moduleRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	read := readVars(t, root)
	problems, programs, err := checkCompose(data, read, config.Vars)
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, p := range problems {
		t.Errorf("docker-compose.yml: %s", p)
	}
	// The file shows the whole production set; a check that finds no dsrflow service proves nothing.
	for _, want := range []string{"migrate", "setup", "worker", "serve"} {
		if !slices.Contains(slices.Collect(maps.Values(programs)), want) {
			t.Errorf("docker-compose.yml: no dsrflow service runs %q (found %v)", want, programs)
		}
	}
	for _, v := range config.Vars {
		if !read[v.Name] {
			t.Logf("note: config.Vars lists %s but no non-test Go file outside the registry names it", v.Name)
		}
	}
}

// TestComposeCheckCatchesMistakes proves the check fails on each kind of mistake, on in-memory files.
func TestComposeCheckCatchesMistakes(t *testing.T) {
	vars := []config.Var{
		{Name: "DSR_LOG_LEVEL"},
		{Name: "DSR_HTTP_ADDR"},
		{Name: "DSR_UNREAD"}, // in the registry, read by nobody
		{Name: "TEMPORAL_ADDRESS", Required: []string{"worker", "serve"}},
		{Name: "DATABASE_URL", Required: []string{"worker", "serve", "migrate"}},
	}
	read := map[string]bool{"DSR_LOG_LEVEL": true, "DSR_HTTP_ADDR": true, "TEMPORAL_ADDRESS": true, "DATABASE_URL": true}

	tests := []struct {
		name string
		yaml string
		want []string // problems, as "service/VAR" ("service/" when no variable)
	}{
		{
			name: "good: map and list environment, string and list command",
			yaml: `
services:
  worker:
    build: .
    command: worker
    environment:
      TEMPORAL_ADDRESS: temporal:7233
      DATABASE_URL: postgres://x@db/x
      DSR_LOG_LEVEL: info
  frontdoor:
    image: dsrflow:dev
    command: ["starter", "serve"]
    environment:
      - TEMPORAL_ADDRESS=temporal:7233
      - DATABASE_URL=postgres://x@db/x
      - DSR_HTTP_ADDR=0.0.0.0:8080
  migrate:
    image: ghcr.io/acme/dsrflow:1.2@sha256:abc
    command: starter migrate
    environment: ["DATABASE_URL=postgres://x@db/x"]
  temporal:
    image: temporalio/server:1.32.1
    environment:
      TEMPORAL_NOT_OURS: "1"
      DSR_NOPE: "other images are not checked"
`,
		},
		{
			name: "variable the code does not read (map form)",
			yaml: `
services:
  worker:
    build: .
    environment:
      TEMPORAL_ADDRESS: temporal:7233
      DATABASE_URL: postgres://x@db/x
      DSR_NOPE: "1"
`,
			want: []string{"worker/DSR_NOPE"},
		},
		{
			name: "misspelt variable (list form) also misses the required one",
			yaml: `
services:
  migrate:
    image: dsrflow:dev
    command: [starter, migrate]
    environment:
      - DATABASE_ULR=postgres://x@db/x
`,
			want: []string{"migrate/DATABASE_ULR", "migrate/DATABASE_URL"},
		},
		{
			name: "registry entry nobody reads",
			yaml: `
services:
  frontdoor:
    build: {context: .}
    command: starter serve
    environment:
      TEMPORAL_ADDRESS: temporal:7233
      DATABASE_URL: postgres://x@db/x
      DSR_UNREAD: "x"
`,
			want: []string{"frontdoor/DSR_UNREAD"},
		},
		{
			name: "required variable missing; no command means the image's worker",
			yaml: `
services:
  worker:
    build: .
    environment:
      DATABASE_URL: postgres://x@db/x
`,
			want: []string{"worker/TEMPORAL_ADDRESS"},
		},
		{
			name: "serve without Temporal or database",
			yaml: `
services:
  api:
    image: dsrflow
    command: ["/usr/local/bin/starter", "serve"]
    environment: {DSR_HTTP_ADDR: "0.0.0.0:8080"}
`,
			want: []string{"api/TEMPORAL_ADDRESS", "api/DATABASE_URL"},
		},
		{
			name: "worker --dev requires nothing",
			yaml: `
services:
  dev:
    build: .
    command: worker --dev
`,
		},
		{
			name: "unknown program and env_file are reported",
			yaml: `
services:
  audit:
    build: .
    command: starter audit verify
    env_file: dsrflow.env
`,
			want: []string{"audit/", "audit/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, _, err := checkCompose([]byte(tt.yaml), read, vars)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.Service+"/"+p.Var)
				if !strings.Contains(p.String(), p.Service) || !strings.Contains(p.String(), p.Var) {
					t.Errorf("message %q does not name the service and the variable", p)
				}
			}
			sort.Strings(got)
			want := slices.Clone(tt.want)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("problems = %q, want %q\n%v", got, want, problems)
			}
		})
	}
}

func TestReadmeListsEveryVariable(t *testing.T) {
	root := moduleRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatal("README.md does not exist yet: it must document every variable in config.Vars (a table of name, default, required by, meaning)")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range config.Vars {
		if !regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(v.Name) + `([^A-Za-z0-9_]|$)`).Match(data) {
			t.Errorf("README.md does not mention %s (%s)", v.Name, v.Doc)
		}
	}
}
