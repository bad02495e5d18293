package admincmd

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/app"
)

func TestConnectorCheckShowsWhatARestConnectorReads(t *testing.T) {
	var mu sync.Mutex
	var methods []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer crm-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var items []any
		if r.URL.Query().Get("email") == "jane@example.com" {
			items = []any{
				map[string]any{"id": 1, "email": "jane@example.com", "name": "Jane Doe", "score": 7},
				map[string]any{"id": 2, "email": "jane@example.com", "name": "J. Doe"},
			}
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	}))
	defer api.Close()
	path := filepath.Join(t.TempDir(), "connectors.yaml")
	yaml := `connectors:
  - id: crm
    owner: Example Sales AS
    role: subsidiary
    kind: rest
    actions: [access, erase]
    identities: [email, phone]
    base_url: ` + api.URL + `
    auth: {type: bearer, token_env: CRM_TOKEN}
    datasets:
      - name: contacts
        read: {path: /contacts, query: {email: "{{email}}"}}
        records: items
        fields: {email: user.contact.email, name: user.name}
        erase: {mode: delete, path: "/contacts/{{record.id}}"}
      - name: calls
        read: {path: /calls, query: {phone: "{{phone}}"}}
        records: items
        fields: {phone: user.contact.phone}
        erase: {mode: delete, path: "/calls/{{record.id}}"}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DSR_CONNECTORS": path, "CRM_TOKEN": "crm-token"}
	code, stdout, stderr := runAdmin(t, env, "connector", "check", "--connector", "crm", "--email", "jane@example.com")
	if code != app.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"contacts: 2 records", "categories: user.contact.email, user.name", "fields: email, name",
		"calls: not read (its read needs phone)", "2 records in 1 of 2 datasets read",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "Jane Doe") || strings.Contains(stdout, "score") || strings.Contains(stdout, "crm-token") {
		t.Errorf("values, an unmapped field or the token were printed without --show-values:\n%s", stdout)
	}
	code, stdout, _ = runAdmin(t, env, "connector", "check", "--connector", "crm", "--email", "jane@example.com", "--show-values")
	if code != app.ExitOK || !strings.Contains(stdout, "name = Jane Doe") || !strings.Contains(stdout, "name = J. Doe") {
		t.Errorf("--show-values: exit %d\n%s", code, stdout)
	}
	for _, m := range methods {
		if m != http.MethodGet {
			t.Errorf("the check sent a %s: it must only read", m)
		}
	}

	if code, _, stderr := runAdmin(t, env, "connector", "check", "--connector", "crm"); code != app.ExitConfig || !strings.Contains(stderr, "--email") {
		t.Errorf("no identity: exit %d %q", code, stderr)
	}
	if code, _, stderr := runAdmin(t, env, "connector", "check", "--connector", "nope", "--email", "x@example.com"); code == app.ExitOK || !strings.Contains(stderr, "connector nope is not in") {
		t.Errorf("unknown connector: exit %d %q", code, stderr)
	}
}

// On a rest processor, check runs the locate request only and prints the tenants with their customers.
func TestConnectorCheckOnARestProcessorLocates(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		var tenants []any
		if r.URL.Query().Get("email") == "jane@example.com" {
			tenants = []any{"t-acme"}
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"tenants": tenants})
	}))
	defer api.Close()
	path := filepath.Join(t.TempDir(), "connectors.yaml")
	yaml := `connectors:
  - id: payroll
    owner: Example Payroll AS
    role: processor
    kind: rest
    actions: [locate, access]
    identities: [email]
    base_url: ` + api.URL + `
    tenants: {t-acme: acme}
    locate: {path: /tenants, query: {email: "{{email}}"}, results: tenants}
    datasets:
      - name: employees
        read: {path: "/tenants/{{tenant}}/employees", query: {email: "{{email}}"}}
        records: items
        fields: {email: user.contact.email}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runAdmin(t, map[string]string{"DSR_CONNECTORS": path}, "connector", "check", "--connector", "payroll", "--email", "jane@example.com")
	if code != app.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "connector payroll is a processor: its locate request finds the subject in 1 customer tenants") ||
		!strings.Contains(stdout, "tenant t-acme: customer acme") {
		t.Errorf("output:\n%s", stdout)
	}
	if len(paths) != 1 || paths[0] != "/tenants" {
		t.Errorf("calls %v, want the locate request only", paths)
	}
}
