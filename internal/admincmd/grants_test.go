package admincmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/app"
)

const grantsYAML = `connectors:
  - id: erp
    kind: postgres
    owner: Example Software AS
    role: subsidiary
    dsn_env: ERP_DSN
    actions: [access, erase]
    identities: [email]
    datasets:
      - table: customers
        match: {email: email}
        categories: {name: user.name, email: user.contact.email}
        erase: mask
        mask: {name: redact, email: hash}
      - table: invoices
        match: {customer_id: customers.id}
        categories: {amount: user.financial.invoice}
        erase: delete
  - id: crm
    kind: http
    owner: Example Sales AS
    role: subsidiary
    url: https://crm.example.com/dsr
    secret_env: CRM_SECRET
    actions: [access]
    identities: [email]
`

func TestConnectorGrants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(path, []byte(grantsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	// Neither ERP_DSN nor CRM_SECRET is set: the script needs only the mapping.
	code, stdout, stderr := runAdmin(t, nil, "connector", "grants", "--connector", "erp", "--role", "dsr_erp", "--connectors", path)
	if code != app.ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		`CREATE TABLE IF NOT EXISTS "dsrflow_jobs"`,
		`GRANT SELECT ("email", "id", "name") ON TABLE "customers" TO "dsr_erp";`,
		`GRANT UPDATE ("email", "name") ON TABLE "customers" TO "dsr_erp"; -- mask on erase`,
		`GRANT SELECT ("amount", "customer_id") ON TABLE "invoices" TO "dsr_erp";`,
		`GRANT DELETE ON TABLE "invoices" TO "dsr_erp"; -- erase: delete`,
		`GRANT INSERT ON TABLE "dsrflow_jobs" TO "dsr_erp";`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %s:\n%s", want, stdout)
		}
	}

	// The role defaults to dsrflow_ID; the file to $DSR_CONNECTORS.
	code, stdout, _ = runAdmin(t, map[string]string{"DSR_CONNECTORS": path}, "connector", "grants", "--connector", "erp")
	if code != app.ExitOK || !strings.Contains(stdout, `ON TABLE "customers" TO "dsrflow_erp";`) {
		t.Fatalf("default role: exit %d, output:\n%s", code, stdout)
	}

	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no connector":      {[]string{"--connectors", path}, app.ExitConfig, "--connector is required"},
		"unknown connector": {[]string{"--connector", "billing", "--connectors", path}, app.ExitMissing, "connector billing is not in"},
		"http connector":    {[]string{"--connector", "crm", "--connectors", path}, app.ExitInvalid, "connector crm is kind http; grants are for postgres connectors"},
		"no file":           {[]string{"--connector", "erp", "--connectors", filepath.Join(t.TempDir(), "none.yaml")}, app.ExitConfig, "no such file"},
	} {
		code, _, stderr := runAdmin(t, nil, append([]string{"connector", "grants"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", name, code, stderr, tc.code, tc.want)
		}
	}
}
