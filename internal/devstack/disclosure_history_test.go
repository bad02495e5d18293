package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
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
// workflows/testdata: one refused without a court order, one approved by two members of legal, and the
// approved one's subject workflow.
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
	openIn := func(language, order string, emails ...string) string {
		if len(emails) == 0 {
			emails = []string{jane}
		}
		d := web.NewDisclosure{Authority: "Oslo police district", Country: "NO", CaseRef: "2026/0002", LegalBasis: "Criminal Procedure Act s. 210",
			Emails: emails, Categories: []string{"user.contact.email", "user.name"}, Language: language}
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
	open := func(order string, emails ...string) string { return openIn("", order, emails...) }
	approve := approveDisclosure(t, s, agent, tokens)
	// The names say the shape: each subject's jobs in its own DisclosureSubject workflow (the histories
	// named disclosure_no_order and disclosure_approved were recorded before, all jobs in one workflow).
	flows := []struct {
		name string
		run  func() string
		// subjects is how many subject workflows the flow starts; the first one's history is recorded too.
		subjects int
	}{
		{"disclosure_v2_no_order", func() string {
			id := open("")
			agent.waitStatus(id, "rejected")
			return id
		}, 0},
		{"disclosure_v2_approved", func() string { return approve(open("TOSL-2026-17")) }, 1},
		// The subject is told in the disclosure's language by the activity (change id h18c-disclosure-language).
		{"disclosure_v3_notice_in_swedish", func() string {
			id := approve(openIn("sv", "TOSL-2026-19"))
			if msg := agent.answerKind(id, "disclosure_notice"); !strings.Contains(msg, "Med stöd av ett domstolsbeslut (TOSL-2026-19, Oslo District Court, ") ||
				!strings.Contains(msg, "har vi lämnat ut personuppgifter om dig till Oslo police district (ärende 2026/0002).") {
				t.Errorf("the Swedish disclosure notice = %q", msg)
			}
			return id
		}, 0},
	}
	codec := payload.NewCodec(keys)
	dir := os.Getenv("DSR_RECORD_HISTORIES")
	events := map[string]int{}
	for _, f := range flows {
		id := f.run()
		events[f.name] = replayAndRecord(t, s, codec, dir, f.name, id, workflows.Disclosure)
		if f.subjects > 0 {
			replayAndRecord(t, s, codec, dir, f.name+"_subject", workflows.DisclosureSubjectID(id, 1), workflows.DisclosureSubject)
		}
	}

	// Four subjects instead of one: the disclosure's own history grows by a few events per subject (its
	// child's start and end, and the workflow tasks around them), whatever their connectors do.
	id := approve(open("TOSL-2026-18", jane, "john.roe@example.com", "ola.nordmann@example.com", "nobody@example.com"))
	four := replayAndRecord(t, s, codec, "", "four subjects", id, workflows.Disclosure)
	t.Logf("disclosure history: %d events for one subject, %d for four", events["disclosure_v2_approved"], four)
	if per := (four - events["disclosure_v2_approved"]) / 3; per > 10 {
		t.Errorf("the disclosure's history grew by %d events per subject (%d for one subject, %d for four)", per, events["disclosure_v2_approved"], four)
	}
	for n := 1; n <= 4; n++ {
		replayAndRecord(t, s, codec, "", "a subject of four", workflows.DisclosureSubjectID(id, n), workflows.DisclosureSubject)
	}
}

// approveDisclosure returns a function that has two members of legal approve the disclosure id and
// waits for it to complete.
func approveDisclosure(t *testing.T, s *devstack.Stack, agent apiClient, tokens map[string]string) func(string) string {
	return func(id string) string {
		t.Helper()
		agent.waitStatus(id, "in_review")
		for _, who := range []string{"legal-1", "legal-2"} {
			c := apiClient{t: t, stack: s, token: tokens[who]}
			if status, data := c.call("POST", "/api/v1/disclosures/"+id+"/decisions", map[string]any{"decision": "approve", "reason": "order is valid"}); status != http.StatusOK {
				t.Fatalf("%s approves: %d %s", who, status, data)
			}
		}
		agent.waitStatus(id, "completed")
		return id
	}
}
