package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// Disclosures run on the embedded stack replay against the workflow code, as requests do
// (TestHistoriesReplay); with DSR_RECORD_HISTORIES=DIR their decrypted histories are written there for
// workflows/testdata: one refused without a court order, one approved by two members of legal.
func TestDisclosureHistoriesReplay(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.MasterKeys = keySpec("d", 3)
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	s := startWith(t, devstack.Options{Config: cfg, Reviewers: dsrflow.Reviewers{Groups: map[string][]string{"legal": {"legal-1", "legal-2"}}}})
	defer stop(t, s)
	tokens := map[string]string{}
	for _, name := range []string{"legal-1", "legal-2"} {
		tok, id := web.NewToken()
		if err := s.Store.CreateToken(context.Background(), store.Token{ID: id, Name: name, Role: "reviewer", Hash: web.TokenHash(tok), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
	}
	agent := apiClient{t: t, stack: s}
	open := func(order string) string {
		d := web.NewDisclosure{Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0002", LegalBasis: "Criminal Procedure Act s. 210",
			Emails: []string{jane}, Categories: []string{"user.contact.email", "user.name"}}
		if order != "" {
			d.CourtOrder, d.Court, d.OrderDate = order, "Oslo District Court", time.Now().AddDate(0, 0, -3).Format(time.DateOnly)
		}
		status, data := agent.call("POST", "/api/v1/disclosures", d)
		var created map[string]string
		_ = json.Unmarshal(data, &created)
		if status != http.StatusCreated {
			t.Fatalf("open disclosure: %d %s", status, data)
		}
		return created["id"]
	}
	flows := []struct {
		name string
		run  func() string
	}{
		{"disclosure_no_order", func() string {
			id := open("")
			agent.waitStatus(id, "rejected")
			return id
		}},
		{"disclosure_approved", func() string {
			id := open("TOSL-2026-17")
			agent.waitStatus(id, "in_review")
			for _, who := range []string{"legal-1", "legal-2"} {
				c := apiClient{t: t, stack: s, token: tokens[who]}
				if status, data := c.call("POST", "/api/v1/disclosures/"+id+"/decisions", map[string]any{"decision": "approve", "reason": "order is valid"}); status != http.StatusOK {
					t.Fatalf("%s approves: %d %s", who, status, data)
				}
			}
			agent.waitStatus(id, "completed")
			return id
		}},
	}
	codec := payload.NewCodec(keys)
	dir := os.Getenv("DSR_RECORD_HISTORIES")
	for _, f := range flows {
		replayAndRecord(t, s, codec, dir, f.name, f.run(), workflows.Disclosure)
	}
}
