package rest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/conformance"
	"github.com/dsrflow/dsrflow/connectors/rest"
)

// payrollAPI is a fake multi-tenant payroll SaaS: employees live in customer tenants, found by email
// within one tenant, and the API also says which tenants hold an address.
type payrollAPI struct {
	mu        sync.Mutex
	employees []map[string]any // id, tenant, email, name
	calls     []string
	// extraTenant is added to every tenants answer (a tenant the connector does not map).
	extraTenant string
}

func newPayrollAPI(t *testing.T) (*payrollAPI, *httptest.Server) {
	p := &payrollAPI{employees: []map[string]any{
		{"id": 1, "tenant": "t-acme", "email": "jane@example.com", "name": "Jane Smith"},
		{"id": 2, "tenant": "t-acme", "email": "ola@example.com", "name": "Ola Nordmann"},
		{"id": 3, "tenant": "t-nordlys", "email": "jane@example.com", "name": "Jane Smith"},
	}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *payrollAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, r.Method+" "+r.URL.Path)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v1 tenants [T employees [ID]]
	email := r.URL.Query().Get("email")
	switch {
	case len(parts) == 2 && parts[1] == "tenants" && r.Method == http.MethodGet:
		var tenants []any
		for _, e := range p.employees {
			if e["email"] == email && !slices.ContainsFunc(tenants, func(t any) bool { return t.(map[string]any)["id"] == e["tenant"] }) {
				tenants = append(tenants, map[string]any{"id": e["tenant"], "name": "the customer's own name"})
			}
		}
		if p.extraTenant != "" {
			tenants = append(tenants, map[string]any{"id": p.extraTenant})
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"tenants": tenants}})
	case len(parts) == 4 && parts[3] == "employees" && r.Method == http.MethodGet:
		items := []any{}
		for _, e := range p.employees {
			if e["tenant"] == parts[2] && e["email"] == email {
				items = append(items, e)
			}
		}
		connectors.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	case len(parts) == 5 && parts[3] == "employees":
		i := slices.IndexFunc(p.employees, func(e map[string]any) bool {
			return e["tenant"] == parts[2] && strconv.Itoa(e["id"].(int)) == parts[4]
		})
		if i < 0 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		switch r.Method {
		case http.MethodDelete:
			p.employees = slices.Delete(p.employees, i, i+1)
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPatch:
			p.employees[i]["name"] = "corrected"
			connectors.WriteJSON(w, http.StatusOK, p.employees[i])
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// tenantsOf returns the tenants holding the address, as the fake holds them now.
func (p *payrollAPI) tenantsOf(email string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.employees {
		if e["email"] == email {
			out = append(out, e["tenant"].(string))
		}
	}
	return out
}

func payrollRestYAML(url string) string {
	return `connectors:
  - id: payroll
    owner: Example Payroll AS
    role: processor
    kind: rest
    actions: [locate, access, erase, rectify]
    identities: [email]
    base_url: ` + url + `
    tenants:
      t-acme: acme
      t-nordlys: nordlys
    locate:
      path: /v1/tenants
      query: {email: "{{email}}"}
      results: data.tenants
      tenant: id
    datasets:
      - name: employees
        read:
          path: /v1/tenants/{{tenant}}/employees
          query: {email: "{{email}}"}
        records: items
        match: {email: email}
        fields: {email: user.contact.email, name: user.name}
        erase: {mode: delete, path: "/v1/tenants/{{tenant}}/employees/{{record.id}}"}
        rectify:
          method: PATCH
          path: /v1/tenants/{{tenant}}/employees/{{record.id}}
          body: {name: "{{correction.user.name}}"}
`
}

func payrollJob(action dsrflow.Action, tenant string) connectors.Job {
	id := connectors.JobID("r_1", "payroll", action)
	if tenant != "" {
		id = connectors.JobID("r_1", "payroll."+tenant, action)
	}
	return connectors.Job{Protocol: connectors.ProtocolVersion, ID: id, RequestID: "r_1", Connector: "payroll", Action: action,
		Identities: dsrflow.Identity{Email: "jane@example.com"}, Verified: []string{"email"}, Tenant: tenant, Deadline: time.Now().Add(time.Hour)}
}

// Locate names both tenants holding Jane, with their customers from tenants:, and none of her data; an
// unknown address, none.
func TestRestProcessorLocatesTenantsWithoutRecords(t *testing.T) {
	api, srv := newPayrollAPI(t)
	r := openYAML(t, payrollRestYAML(srv.URL), nil)
	res, err := r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, ""))
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.TenantHolding{{Tenant: "t-acme", Customer: "acme"}, {Tenant: "t-nordlys", Customer: "nordlys"}}
	if res.Status != connectors.StatusCompleted || !slices.Equal(res.Tenants, want) || len(res.Records) != 0 {
		t.Fatalf("locate = %+v, want tenants %v and no records", res, want)
	}
	if err := res.Validate(res.JobID); err != nil {
		t.Fatalf("the locate result breaks protocol v1: %v", err)
	}
	if !slices.Equal(api.calls, []string{"GET /v1/tenants"}) {
		t.Errorf("calls %v, want the locate request only: no record is read", api.calls)
	}
	nobody := payrollJob(dsrflow.ActionLocate, "")
	nobody.Identities = dsrflow.Identity{Email: "nobody@example.com"}
	if res, err := r.Run(context.Background(), nobody); err != nil || res.Status != connectors.StatusNotFound || len(res.Tenants) != 0 {
		t.Fatalf("locate of nobody = %+v %v, want not_found", res, err)
	}

	// A tenant tenants: does not map fails the job for a person, without naming the subject.
	api.extraTenant = "t-unmapped"
	_, err = r.Run(context.Background(), payrollJob(dsrflow.ActionLocate, ""))
	var ce *connectors.CallError
	if !errors.As(err, &ce) || !ce.Permanent || !strings.Contains(err.Error(), "tenants: does not map") || strings.Contains(err.Error(), "jane") {
		t.Fatalf("locate answering an unmapped tenant: %v, want a permanent failure naming tenants:", err)
	}
}

// An instructed erase runs in the named tenant only; a job naming no tenant, or one tenants: does not
// name, is refused before any call.
func TestRestProcessorActsInOneTenantOnly(t *testing.T) {
	api, srv := newPayrollAPI(t)
	r := openYAML(t, payrollRestYAML(srv.URL), nil)
	for _, j := range []connectors.Job{payrollJob(dsrflow.ActionErase, ""), payrollJob(dsrflow.ActionAccess, ""), payrollJob(dsrflow.ActionErase, "t-other")} {
		_, err := r.Run(context.Background(), j)
		var ce *connectors.CallError
		if !errors.As(err, &ce) || !ce.Permanent {
			t.Errorf("%s in tenant %q: %v, want refused for good", j.Action, j.Tenant, err)
		}
	}
	if len(api.calls) != 0 {
		t.Fatalf("refused jobs called the API: %v", api.calls)
	}

	res, err := r.Run(context.Background(), payrollJob(dsrflow.ActionAccess, "t-nordlys"))
	if err != nil || len(res.Records) != 1 || res.Records[0].Fields["name"] != "Jane Smith" {
		t.Fatalf("access in t-nordlys = %+v %v, want her one record", res, err)
	}
	res, err = r.Run(context.Background(), payrollJob(dsrflow.ActionErase, "t-acme"))
	if err != nil || res.Status != connectors.StatusCompleted || res.Counts["deleted"] != 1 {
		t.Fatalf("erase in t-acme = %+v %v, want one deleted", res, err)
	}
	if got := api.tenantsOf("jane@example.com"); !slices.Equal(got, []string{"t-nordlys"}) {
		t.Errorf("Jane is in %v after the erase in t-acme, want t-nordlys only", got)
	}
	if got := api.tenantsOf("ola@example.com"); !slices.Equal(got, []string{"t-acme"}) {
		t.Errorf("Ola is in %v, want untouched in t-acme", got)
	}
	for _, c := range api.calls {
		if strings.Contains(c, "t-nordlys") && !strings.HasPrefix(c, "GET") || strings.HasPrefix(c, "DELETE") && !strings.Contains(c, "/t-acme/") {
			t.Errorf("the erase in t-acme called %s", c)
		}
	}

	rectify := payrollJob(dsrflow.ActionRectify, "t-nordlys")
	rectify.Corrections = map[string]string{"user.name": "Jane Doe"}
	if res, err := r.Run(context.Background(), rectify); err != nil || res.Counts["rectified"] != 1 {
		t.Fatalf("rectify in t-nordlys = %+v %v", res, err)
	}
	if last := api.calls[len(api.calls)-1]; last != "PATCH /v1/tenants/t-nordlys/employees/3" {
		t.Errorf("rectify sent %s, want the PATCH in t-nordlys", last)
	}
}

// The conformance suite passes for a rest processor served over protocol v1, checked with locate.
func TestRestProcessorConforms(t *testing.T) {
	_, srv := newPayrollAPI(t)
	r := openYAML(t, payrollRestYAML(srv.URL), nil)
	secret := []byte(strings.Repeat("k", connectors.MinSecretBytes))
	url := serve(t, r, secret)
	results := conformance.Run(context.Background(), conformance.Target{URL: url, Secret: secret, Connector: "payroll", Action: dsrflow.ActionLocate})
	if len(results) != len(conformance.Checks) {
		t.Fatalf("%d results for %d checks", len(results), len(conformance.Checks))
	}
	for _, res := range results {
		if !res.Passed {
			t.Errorf("%s failed: %s", res.Name, res.Detail)
		}
	}
}

// A rest processor's configuration errors name the connector, the line and the key.
func TestRestProcessorConfigErrors(t *testing.T) {
	base := payrollRestYAML("https://payroll.example")
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"no tenants", "    tenants:\n      t-acme: acme\n      t-nordlys: nordlys\n", "",
			"connectors.yaml:2: connector payroll: a processor of kind rest needs tenants:"},
		{"no locate", "    locate:\n      path: /v1/tenants\n      query: {email: \"{{email}}\"}\n      results: data.tenants\n      tenant: id\n", "",
			"connectors.yaml:2: connector payroll: a processor of kind rest needs locate:"},
		{"read across tenants", "          path: /v1/tenants/{{tenant}}/employees\n", "          path: /v1/employees\n",
			"connectors.yaml:19: connector payroll: dataset employees: read must reference {{tenant}}"},
		{"locate by tenant", "      query: {email: \"{{email}}\"}\n      results", "      query: {email: \"{{email}}\", t: \"{{tenant}}\"}\n      results",
			"connectors.yaml:12: connector payroll: locate: locate finds tenants by identities"},
		{"locate results not a path", "results: data.tenants", "results: data..tenants",
			"connectors.yaml:15: connector payroll: locate: results must be a dotted path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := strings.Replace(base, tc.from, tc.to, 1)
			if yaml == base {
				t.Fatal("the edit changed nothing")
			}
			_, err := connectors.Parse([]byte(yaml), func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error =\n%v\nwant it to contain\n%s", err, tc.want)
			}
		})
	}
	// A subsidiary has neither tenants nor locate, and its templates no {{tenant}}.
	sub := strings.NewReplacer("role: processor", "role: subsidiary", "actions: [locate, ", "actions: [").Replace(base)
	_, err := connectors.Parse([]byte(sub), func(string) string { return "" })
	for _, want := range []string{
		"connectors.yaml:9: connector payroll: tenants are for processors (role: processor)",
		"connectors.yaml:12: connector payroll: locate: is for processors (role: processor)",
		"connectors.yaml:19: connector payroll: dataset employees: read: {{tenant}} is for processors (role: processor)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("subsidiary with processor keys: error =\n%v\nwant it to contain\n%s", err, want)
		}
	}
}

// `starter connector check` on a processor runs its locate request only: the tenants holding the test
// subject, and no record of any tenant.
func TestRestProcessorPreviewLocatesOnly(t *testing.T) {
	api, srv := newPayrollAPI(t)
	r := openYAML(t, payrollRestYAML(srv.URL), nil).(*rest.Runner)
	p, err := r.Preview(context.Background(), dsrflow.Identity{Email: "jane@example.com"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tenants) != 2 || p.Tenants[0].Customer != "acme" || len(p.Datasets) != 0 {
		t.Fatalf("preview = %+v, want two tenants and no dataset read", p)
	}
	if !slices.Equal(api.calls, []string{"GET /v1/tenants"}) {
		t.Errorf("calls %v, want the locate request only", api.calls)
	}
}
