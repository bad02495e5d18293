package connectors_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	. "github.com/dsrflow/dsrflow/connectors" // these tests were written inside the package
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	_ "github.com/dsrflow/dsrflow/connectors/kinds"
)

const validYAML = `connectors:
  - id: crm
    owner: Example Marketing AS
    role: subsidiary
    kind: http
    url: http://127.0.0.1:9101/crm
    secret_env: CRM_SECRET
    actions: [access, erase, rectify, restrict, object, optout, withdraw_consent]
    identities: [email, phone, customer_id:crm]
    categories: [user.contact.email, user.contact.phone, user.name]
    timeout: 10s
    concurrency: 2
  - id: adpartner
    owner: Example Ad Partner Ltd
    role: partner
    kind: http
    url: https://partner.example.com/dsr
    secret_env: AD_SECRET
    actions: [notify]
    identities: [email]
  - id: billing
    owner: Example Billing AS
    role: subsidiary
    kind: http
    url: http://127.0.0.1:9101/billing
    secret_env: BILLING_SECRET
    actions: [access, erase]
    identities: [customer_id:billing]
`

func testEnv(name string) string {
	switch name {
	case "CRM_SECRET", "AD_SECRET", "BILLING_SECRET":
		return strings.Repeat("s", 32) + name
	case "SHORT":
		return "too short"
	}
	return ""
}

func TestParseValid(t *testing.T) {
	reg, err := Parse([]byte(validYAML), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range reg.List() {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"adpartner", "billing", "crm"}) {
		t.Fatalf("List ids = %v", ids)
	}
	crm, ok := reg.Get("crm")
	if !ok {
		t.Fatal("crm missing")
	}
	ep, ok := crm.Endpoint()
	if !ok || string(ep.Secret) != testEnv("CRM_SECRET") || ep.Timeout != 10*time.Second || ep.Concurrency != 2 || ep.ID != "crm" ||
		crm.Owner != "Example Marketing AS" || len(crm.Actions) != 7 || ep.URL != "http://127.0.0.1:9101/crm" {
		t.Fatalf("crm = %+v, endpoint %+v", crm, ep)
	}
	ad, _ := reg.Get("adpartner")
	if ep, _ := ad.Endpoint(); ep.Timeout != DefaultTimeout || ep.Concurrency != DefaultConcurrency {
		t.Fatalf("defaults not applied: %+v", ep)
	}
	if p := reg.Partners(); len(p) != 1 || p[0].ID != "adpartner" {
		t.Fatalf("Partners = %+v", p)
	}
	// A caller changing what it got does not change the registry.
	crm.Actions[0] = "mangled"
	if again, _ := reg.Get("crm"); again.Actions[0] != dsrflow.ActionAccess {
		t.Fatal("Get shares the registry's slices")
	}
}

func TestConnectorSecretNotSerialised(t *testing.T) {
	reg, err := Parse([]byte(validYAML), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("crm")
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), testEnv("CRM_SECRET")) || strings.Contains(strings.ToLower(string(data)), "secret") {
		t.Fatalf("secret serialised: %s", data)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	// replace swaps one line of validYAML (1-based) for another text.
	replace := func(line int, text string) string {
		lines := strings.Split(validYAML, "\n")
		lines[line-1] = text
		return strings.Join(lines, "\n")
	}
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"bad role", replace(4, "    role: sister"), "connectors.yaml:4: connector crm: role must be subsidiary, partner or processor"},
		{"unknown field", replace(12, "    concurency: 2"), `connectors.yaml:12: connector crm: unknown field "concurency"`},
		{"unknown top-level field", "connector:\n  - id: crm\n", `connectors.yaml:1: unknown field "connector"`},
		{"bad id", replace(2, "  - id: CRM system"), "connectors.yaml:2: connector CRM system: id must match [a-z0-9_-]+"},
		{"duplicate id", replace(13, "  - id: crm"), "connectors.yaml:13: connector crm: duplicate id (first defined on line 2)"},
		{"relative url", replace(6, "    url: /crm"), "connectors.yaml:6: connector crm: url must be an absolute http or https URL"},
		{"ftp url", replace(6, "    url: ftp://example.com/crm"), "connectors.yaml:6: connector crm: url must be an absolute http or https URL"},
		{"unknown action", replace(8, "    actions: [access, delete]"), `connectors.yaml:8: connector crm: unknown action "delete"`},
		{"subsidiary notify", replace(8, "    actions: [access, notify]"), "connectors.yaml:8: connector crm: notify is for partners"},
		{"partner erase", replace(19, "    actions: [notify, erase]"), "connectors.yaml:19: connector adpartner: a partner supports only notify and optout, not erase"},
		{"unknown identity", replace(9, "    identities: [email, ssn]"), `connectors.yaml:9: connector crm: unknown identity type "ssn"`},
		{"customer id without system", replace(9, "    identities: [customer_id]"), `connectors.yaml:9: connector crm: unknown identity type "customer_id"`},
		{"secret not set", replace(7, "    secret_env: NOT_SET"), "connectors.yaml:7: connector crm: secret_env: variable NOT_SET is not set"},
		{"secret too short", replace(7, "    secret_env: SHORT"), "connectors.yaml:7: connector crm: secret_env: variable SHORT must hold at least 32 bytes"},
		{"secret_env missing", replace(7, "    # no secret"), "connectors.yaml:2: connector crm: secret_env is required"},
		{"kind postgres with http fields", replace(5, "    kind: postgres"), "connectors.yaml:6: connector crm: field url is for http connectors, not postgres ones"},
		{"kind postgres without a dsn", replace(5, "    kind: postgres"), "connectors.yaml:2: connector crm: dsn_env (the variable holding the connection string) is required"},
		{"kind manual with http fields", replace(5, "    kind: manual"), "connectors.yaml:7: connector crm: field secret_env is for http connectors, not manual ones"},
		{"kind manual without a channel", replace(5, "    kind: manual"), "connectors.yaml:2: connector crm: channel is required"},
		{"kind unknown", replace(5, "    kind: ftp"), `connectors.yaml:5: connector crm: kind must be one of http, manual, postgres, rest, not "ftp"`},
		{"kind missing", replace(5, "    # no kind"), "connectors.yaml:2: connector crm: kind is required (http, manual, postgres, rest)"},
		{"http field of another kind", replace(12, "    dsn_env: CRM_DSN"), "connectors.yaml:12: connector crm: field dsn_env is for postgres connectors, not http ones"},
		{"owner missing", replace(3, "    # owner"), "connectors.yaml:2: connector crm: owner (the legal entity) is required"},
		{"bad timeout", replace(11, "    timeout: soon"), "connectors.yaml:11: connector crm: timeout must be a positive duration"},
		{"bad concurrency", replace(12, "    concurrency: 0"), "connectors.yaml:12: connector crm: concurrency must be a whole number of at least 1"},
		{"actions not a list", replace(8, "    actions: access"), "connectors.yaml:8: connector crm: actions must be a list"},
		{"field twice", replace(12, "    role: partner"), "connectors.yaml:12: connector crm: field role given twice"},
		{"bad category", replace(10, "    categories: [Contact Email]"), `connectors.yaml:10: connector crm: category "Contact Email" must be dotted lower case`},
		{"yaml syntax", replace(4, "    role: [subsidiary"), "connectors.yaml:"},
		{"second connector", replace(15, "    role: friend"), "connectors.yaml:15: connector adpartner: role must be subsidiary, partner or processor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := Parse([]byte(tt.yaml), testEnv)
			if err == nil {
				t.Fatalf("no error; registry %+v", reg.List())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, tt.want)
			}
			if strings.Contains(err.Error(), testEnv("CRM_SECRET")) {
				t.Fatal("error shows the secret")
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(validYAML, "role: subsidiary", "role: sister", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, testEnv)
	if err == nil || !strings.Contains(err.Error(), path+":4: connector crm: role must be subsidiary, partner or processor") {
		t.Fatalf("Load error = %v", err)
	}
	if err := os.WriteFile(path, []byte(validYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, testEnv); err != nil {
		t.Fatal(err)
	}
}

func TestSelect(t *testing.T) {
	reg, err := Parse([]byte(validYAML), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(cs []Connector) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		action dsrflow.Action
		id     dsrflow.Identity
		want   []string
	}{
		{"email reaches crm only", dsrflow.ActionErase, dsrflow.Identity{Email: "a@example.com"}, []string{"crm"}},
		{"billing by its customer id", dsrflow.ActionErase, dsrflow.Identity{CustomerIDs: map[string]string{"billing": "B-1"}}, []string{"billing"}},
		{"another system's customer id", dsrflow.ActionErase, dsrflow.Identity{CustomerIDs: map[string]string{"forum": "F-1"}}, nil},
		{"both, sorted", dsrflow.ActionAccess, dsrflow.Identity{Phone: "+47", CustomerIDs: map[string]string{"billing": "B-1"}}, []string{"billing", "crm"}},
		{"action unsupported by billing", dsrflow.ActionRectify, dsrflow.Identity{Email: "a@example.com", CustomerIDs: map[string]string{"billing": "B-1"}}, []string{"crm"}},
		{"name matches nobody", dsrflow.ActionAccess, dsrflow.Identity{Name: "A"}, nil},
		{"notify goes to partners", dsrflow.ActionNotify, dsrflow.Identity{Email: "a@example.com"}, []string{"adpartner"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(reg.Select(tt.action, tt.id)); !slices.Equal(got, tt.want) {
				t.Fatalf("Select = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewRegistryValidates(t *testing.T) {
	_, err := NewRegistry(Connector{ID: "x", Owner: "X AS", Role: RoleSubsidiary, Settings: httpkind.Settings{URL: "http://h/x",
		Secret: []byte("short")}, Actions: []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{"email"}})
	if err == nil || !strings.Contains(err.Error(), "connector x: secret must be at least 32 bytes") {
		t.Fatalf("err = %v", err)
	}
	_, err = NewRegistry(Connector{ID: "x", Owner: "X AS", Role: RoleSubsidiary, Kind: "postgres", Settings: httpkind.Settings{URL: "http://h/x",
		Secret: []byte(strings.Repeat("s", 32))}, Actions: []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{"email"}})
	if err == nil || !strings.Contains(err.Error(), "connector x: kind postgres with the settings of kind http") {
		t.Fatalf("err = %v", err)
	}
}

// fileKind is a connector kind of this test's own: registering it is all it takes for connectors.yaml
// to accept its keys, check them and open its runner.
type fileKind struct{}

type fileSettings struct{ Dir string }

func (fileKind) Name() string     { return "file" }
func (fileKind) Fields() []string { return []string{"dir"} }
func (fileKind) Decode(s *Section) Settings {
	dir, _ := s.String("dir")
	return fileSettings{Dir: dir}
}
func (fileKind) Open(_ context.Context, c Connector, _ Env) (Runner, error) {
	return fileRunner{dir: c.Settings.(fileSettings).Dir}, nil
}

func (s fileSettings) Clone() Settings                { return s }
func (fileSettings) Kind() string                     { return "file" }
func (s fileSettings) Defaults(c Connector) Connector { c.Settings = s; return c }
func (s fileSettings) Check(Connector) []Problem {
	if !filepath.IsAbs(s.Dir) {
		return []Problem{Problemf("dir", "dir must be an absolute path")}
	}
	return nil
}

type fileRunner struct{ dir string }

func (r fileRunner) Run(_ context.Context, job Job) (Result, error) {
	return Result{JobID: job.ID, Status: StatusNotFound, Detail: "nothing in " + r.dir}, nil
}
func (r fileRunner) Poll(context.Context, string) (Result, error) { return Result{}, nil }
func (fileRunner) Close() error                                   { return nil }

func TestRegisteredKind(t *testing.T) {
	Register(fileKind{})
	const yaml = `connectors:
  - id: archive
    owner: Example Records AS
    role: subsidiary
    kind: file
    dir: %s
    actions: [access]
    identities: [email]
`
	_, err := Parse([]byte(strings.Replace(yaml, "%s", "relative/path", 1)), testEnv)
	if err == nil || !strings.Contains(err.Error(), "connectors.yaml:6: connector archive: dir must be an absolute path") {
		t.Fatalf("a file connector with a relative dir: %v", err)
	}
	_, err = Parse([]byte(strings.Replace(validYAML, "concurrency: 2", "dir: /srv", 1)), testEnv)
	if err == nil || !strings.Contains(err.Error(), "connectors.yaml:12: connector crm: field dir is for file connectors, not http ones") {
		t.Fatalf("an http connector with a dir: %v", err)
	}
	reg, err := Parse([]byte(strings.Replace(yaml, "%s", "/srv/archive", 1)), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get("archive")
	r, err := Open(context.Background(), c, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.Run(context.Background(), Job{ID: "r:archive:access"}); err != nil || res.Detail != "nothing in /srv/archive" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	if !slices.Contains(KindNames(), "file") {
		t.Fatalf("KindNames = %v", KindNames())
	}
}

// TestPartnerTakesOptout: a partner may list optout beside notify, so a marketing opt-out reaches the
// recipients of the data (GDPR Art. 21(3)); Select finds it for optout.
func TestPartnerTakesOptout(t *testing.T) {
	reg, err := Parse([]byte(strings.Replace(validYAML, "    actions: [notify]", "    actions: [notify, optout]", 1)), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range reg.Select(dsrflow.ActionOptout, dsrflow.Identity{Email: "jane.doe@example.com"}) {
		ids = append(ids, c.ID)
	}
	if !slices.Contains(ids, "adpartner") {
		t.Fatalf("optout goes to %v, want the partner among them", ids)
	}
}
