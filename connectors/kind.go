package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// A connector's kind says how dsrflow reaches its system: over protocol v1 (http), into its database
// (postgres), or through a team working by hand (manual). Each kind is a package that registers itself
// (as upspin's pack.Register and store/transports do): it reads its own keys of connectors.yaml, checks
// them, and opens the Runner that carries out the connector's jobs. This package names no kind but the
// one workflows read (KindManual, a job done by people);
// connectors/kinds imports the built-in ones, and a program that reads connectors.yaml imports it.

// Kind is one kind of connector.
type Kind interface {
	// Name is the kind's value of kind: in connectors.yaml.
	Name() string
	// Fields are the keys of connectors.yaml particular to the kind, beside the common ones (id, owner,
	// role, kind, actions, identities, categories, retention).
	Fields() []string
	// Decode reads the kind's keys of one connector into its settings; a key that cannot be read is
	// reported with Section.Bad and left unset, for Settings.Check to say what is missing.
	Decode(s *Section) Settings
	// Open makes the runner of a configured connector of this kind, once, when a worker starts.
	Open(ctx context.Context, c Connector, env Env) (Runner, error)
}

// Settings are one connector's configuration particular to its kind (Connector.Settings).
type Settings interface {
	// Kind is the name of the kind the settings are of.
	Kind() string
	// Defaults returns c with the kind's defaults filled in where c and the settings leave them unset.
	Defaults(c Connector) Connector
	// Clone returns a copy that shares no slice or map with the settings: the Registry hands each
	// caller its own.
	Clone() Settings
	// Check reports what is wrong with c in view of its kind: the settings, and the common fields as
	// far as the kind restricts them (a postgres connector's role and actions). Each Problem names the
	// key it is about, so that connectors.yaml's errors give its line.
	Check(c Connector) []Problem
}

// Env is what a kind's Open may use.
type Env struct {
	// Getenv reads the variables connectors.yaml names (a database's connection string).
	Getenv func(string) string
	// Logger takes what Open finds that works but should be fixed (a match column without an index).
	Logger *slog.Logger
	// Throttle holds calls to the connectors' Limits across every worker. A Runner that paces each
	// request it sends through it (Throttle.Pace) is a Pacer; nil holds nothing.
	Throttle Throttle
}

// Runner carries out the jobs of one connector. It is safe for concurrent use.
type Runner interface {
	// Run carries out or submits a job. The result is final, or StatusAccepted: the final one then
	// comes by callback or Poll. An error that retrying cannot cure is a *CallError with Permanent set.
	Run(ctx context.Context, job Job) (Result, error)
	// Poll asks for the result of a job that Run answered StatusAccepted.
	Poll(ctx context.Context, jobID string) (Result, error)
	// Close releases what Open took (connections).
	Close() error
}

// Tasks is implemented by the settings of a kind whose jobs people carry out: the workflow makes each
// job a task card in Channel with the team's Instructions (a ConnectorRef of kind KindManual) instead of
// running it, and someone answers Done, Nothing found or Cannot.
type Tasks interface {
	Task() (channel, instructions string)
}

// DatasetCategories is implemented by the settings of a kind whose configuration names its datasets (a
// postgres connector's tables, a rest connector's datasets): the data categories each one holds, so that
// a category the controller does not describe can be named with its dataset (GDPR Art. 15(1)(b)).
type DatasetCategories interface {
	DatasetCategories() []DatasetCategory
}

// DatasetCategory is one dataset of a connector and the data categories it holds, sorted.
type DatasetCategory struct {
	Dataset    string
	Categories []string
}

// KindManual is the kind a job's connector reference carries when its jobs are tasks for people
// (Tasks): the workflow reads it.
const KindManual = "manual"

// Speaker is implemented by the settings of a kind whose connector speaks protocol v1: it may answer a
// job later by a signed callback, which the front door checks with the endpoint's secret, and the
// worker records each job as issued before it goes, so that its callback is accepted.
type Speaker interface {
	Endpoint(connectorID string) Endpoint
}

// Endpoint returns how protocol v1 reaches the connector, when it speaks it (Speaker).
func (c Connector) Endpoint() (Endpoint, bool) {
	s, ok := c.Settings.(Speaker)
	if !ok {
		return Endpoint{}, false
	}
	return s.Endpoint(c.ID), true
}

// Problem is one thing wrong with a connector's configuration. Field is the path of the key it is
// about (datasets.0.mask.email), "" for the connector as a whole.
type Problem struct {
	Field string
	Msg   string
}

// Problemf returns a Problem about field.
func Problemf(field, format string, args ...any) Problem {
	return Problem{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Kind{}
)

// Register makes a kind known by its name; a kind's package calls it in init. Registering a name twice
// panics: two packages claim the same kind.
func Register(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	name := k.Name()
	if _, dup := kinds[name]; dup {
		panic("connectors: kind " + name + " registered twice")
	}
	for _, f := range k.Fields() {
		if slices.Contains(commonFields, f) {
			panic("connectors: kind " + name + " claims the common field " + f)
		}
	}
	kinds[name] = k
}

// LookupKind returns the registered kind with the name.
func LookupKind(name string) (Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// KindNames returns the names of the registered kinds, sorted.
func KindNames() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	var out []string
	for name := range kinds {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// kindsOwning returns the registered kinds, other than except, that have the field, sorted.
func kindsOwning(field, except string) []string {
	var out []string
	for _, name := range KindNames() {
		if k, _ := LookupKind(name); name != except && slices.Contains(k.Fields(), field) {
			out = append(out, name)
		}
	}
	return out
}

// unknownKind says that name is not a registered kind, naming those that are.
func unknownKind(name string) string {
	known := KindNames()
	if len(known) == 0 {
		return fmt.Sprintf("kind %s is not known: no connector kinds are registered in this program (import connectors/kinds)", name)
	}
	if name == "" {
		return "kind is required (" + strings.Join(known, ", ") + ")"
	}
	return fmt.Sprintf("kind must be one of %s, not %q", strings.Join(known, ", "), name)
}

// Open makes the runner of a configured connector through its kind. Errors name the connector.
func Open(ctx context.Context, c Connector, env Env) (Runner, error) {
	k, ok := LookupKind(c.Kind)
	if !ok {
		return nil, fmt.Errorf("connector %s: %s", c.ID, unknownKind(c.Kind))
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	return k.Open(ctx, c, env)
}

// Section is a connector's keys particular to its kind, as connectors.yaml gives them, for the kind's
// Decode. Its methods read values and report shape errors with their lines.
type Section struct {
	values map[string]*yaml.Node
	line   int            // the connector's
	lines  map[string]int // field path -> line, shared with the parser
	bad    func(line int, format string, args ...any)
	getenv func(string) string
}

// Has reports whether the connector gives the key.
func (s *Section) Has(key string) bool { _, ok := s.values[key]; return ok }

// Node returns the key's value (aliases resolved), nil when the key is not given.
func (s *Section) Node(key string) *yaml.Node { return s.values[key] }

// Line returns the line of a field path (datasets.0.table), or of its nearest recorded parent, or the
// connector's line.
func (s *Section) Line(field string) int { return lineOf(s.lines, field, s.line) }

// SetLine records the line of a field path below a key (datasets.0.mask.email), for the problems
// Settings.Check reports about it.
func (s *Section) SetLine(field string, line int) { s.lines[field] = line }

// Recorded reports whether the line of the field path is recorded: a key given twice.
func (s *Section) Recorded(field string) bool { _, ok := s.lines[field]; return ok }

// Bad reports a shape error at a line; the connector's name is added.
func (s *Section) Bad(line int, format string, args ...any) { s.bad(line, format, args...) }

// Reported reports a shape error about a field path, at its line, and keeps Settings.Check's problem
// about the same path (its value left unset) from repeating it.
func (s *Section) Reported(field, format string, args ...any) {
	line := s.Line(field)
	s.lines[field+reportedSuffix] = line
	s.bad(line, format, args...)
}

// Getenv reads a variable the connector names.
func (s *Section) Getenv(name string) string { return s.getenv(name) }

// String reads a single value; anything else is reported, and gives "", false.
func (s *Section) String(key string) (string, bool) {
	v := s.values[key]
	if v == nil {
		return "", false
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		s.Reported(key, "%s must be a single value", key)
		return "", false
	}
	return v.Value, true
}

// Duration reads a positive duration (30s); anything else is reported.
func (s *Section) Duration(key string) (time.Duration, bool) {
	v, ok := s.String(key)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		s.Reported(key, "%s must be a positive duration like 30s", key)
		return 0, false
	}
	return d, true
}

// Resolve follows a yaml alias to the node it names.
func Resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// OpenAll opens the runner of every connector in the registry, by id. When one fails it closes those
// it opened and returns the error, which names the connector.
func OpenAll(ctx context.Context, reg *Registry, env Env) (map[string]Runner, error) {
	runners := map[string]Runner{}
	for _, c := range reg.List() {
		r, err := Open(ctx, c, env)
		if err != nil {
			_ = CloseAll(runners)
			return nil, err
		}
		runners[c.ID] = r
	}
	return runners, nil
}

// CloseAll closes every runner.
func CloseAll(runners map[string]Runner) error {
	var errs []error
	for _, r := range runners {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}
