//go:build drills

package drills

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/connectors/demo"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
)

// prodEnv is the environment of production-mode processes (`worker`, `starter serve`, `starter ...`)
// against a Temporal server and PostgreSQL, with the demo subsidiaries configured as HTTP connectors in
// a connectors.yaml (and the payroll processor's customers in a customers.yaml), as an operator would write
// them.
type prodEnv struct{ vars []string }

func newProdEnv(t *testing.T, dir, temporalAddr, pgURL string, d *demo.Demo, extra ...string) prodEnv {
	t.Helper()
	vars := []string{
		"TEMPORAL_ADDRESS=" + temporalAddr, "DATABASE_URL=" + pgURL, "DSR_LOG_LEVEL=warn", "DSR_WORKER_ADDR=off",
		"DSR_HMAC_KEY=" + randomHex(32), "DSR_MASTER_KEYS=k1:" + randomBase64(32),
		"DSR_SMTP_URL=smtp://127.0.0.1:1?from=privacy@example.com&starttls=off", // mail waits in the outbox
	}
	var y strings.Builder
	y.WriteString("connectors:\n")
	for _, c := range d.Registry().List() {
		hs := c.Settings.(httpkind.Settings) // the demo's connectors are all http
		v := "DRILL_SECRET_" + strings.ToUpper(c.ID)
		vars = append(vars, v+"="+string(hs.Secret))
		fmt.Fprintf(&y, "  - id: %s\n    kind: http\n    owner: %q\n    role: %s\n    url: %s\n    secret_env: %s\n    actions: [%s]\n    identities: [%s]\n",
			c.ID, c.Owner, c.Role, hs.URL, v, joinActions(c), strings.Join(c.Identities, ", "))
		if len(c.Categories) > 0 {
			fmt.Fprintf(&y, "    categories: [%s]\n", strings.Join(c.Categories, ", "))
		}
		if len(c.Recipients) > 0 { // the partners told of a change to a subject this system held (Art. 19)
			fmt.Fprintf(&y, "    recipients: [%s]\n", strings.Join(c.Recipients, ", "))
		}
		// Limits across workers (max_concurrent, rate, burst), when the demo's connector has them.
		if l := c.Limits; l.MaxConcurrent > 0 {
			fmt.Fprintf(&y, "    max_concurrent: %d\n", l.MaxConcurrent)
		}
		if l := c.Limits; l.Rate > 0 {
			fmt.Fprintf(&y, "    rate: %g\n    burst: %d\n", l.Rate, l.BucketSize())
		}
	}
	yaml := filepath.Join(dir, "connectors.yaml")
	if err := os.WriteFile(yaml, []byte(y.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	vars = append(vars, "DSR_CONNECTORS="+yaml)
	// The customers whose tenants the demo's payroll processor holds (a processor needs them to start).
	var cy strings.Builder
	cy.WriteString("customers:\n")
	for _, c := range d.Customers().List() {
		fmt.Fprintf(&cy, "  - id: %s\n    legal_name: %q\n    email: %s\n    dpa_deadline_days: %d\n    language: %s\n",
			c.ID, c.LegalName, c.Email, c.DeadlineDays, c.Language)
	}
	customers := filepath.Join(dir, "customers.yaml")
	if err := os.WriteFile(customers, []byte(cy.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	vars = append(vars, "DSR_CUSTOMERS="+customers)
	return prodEnv{vars: append(vars, extra...)}
}

// command is name with args in this environment, plus more variables (later ones win).
func (e prodEnv) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), e.vars...)
	return c
}

// with returns the environment with more variables.
func (e prodEnv) with(vars ...string) prodEnv {
	return prodEnv{vars: append(append([]string{}, e.vars...), vars...)}
}
