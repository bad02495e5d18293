package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/secret"
)

const fileConnectors = `connectors:
  - id: %s
    owner: Example Software AS
    role: subsidiary
    kind: http
    url: http://127.0.0.1:9/erp
    secret_env: ERP_SECRET
    actions: [access, erase]
    identities: [email]
`

func TestFileConnectorsJoinTheDevStacksOwn(t *testing.T) {
	getenv := func(k string) string {
		if k == "ERP_SECRET" {
			return strings.Repeat("s", 32)
		}
		return ""
	}
	demo, err := connectors.NewRegistry(connectors.Connector{ID: "crm", Owner: "Example Marketing AS", Role: connectors.RoleSubsidiary, Kind: "http",
		URL: "http://127.0.0.1:9/crm", Secret: []byte(strings.Repeat("d", 32)), Actions: []dsrflow.Action{dsrflow.ActionAccess}, Identities: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	write := func(id string) string {
		path := filepath.Join(t.TempDir(), "connectors.yaml")
		if err := os.WriteFile(path, []byte(strings.Replace(fileConnectors, "%s", id, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	base := Product{Key: secret.Key(strings.Repeat("k", 32)), Keys: nil, Connectors: demo}
	cfg := config.Product{Connectors: write("erp"), MasterKeys: "k1:" + strings.Repeat("A", 43) + "="}
	p, err := LoadProduct(cfg, getenv, base)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range p.Connectors.List() {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "crm,erp" {
		t.Fatalf("connectors = %v, want crm and erp", ids)
	}
	cfg.Connectors = write("crm")
	_, err = LoadProduct(cfg, getenv, base)
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || cfgErr.Var != "DSR_CONNECTORS" {
		t.Fatalf("a file connector with a demo connector's id: %v, want a DSR_CONNECTORS error", err)
	}
}
