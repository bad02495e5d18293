package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// TestCCPAAccessByAgent: an authorized agent's CCPA access request on the dev stack. An agent is refused
// under the GDPR and with the subject's own address, naming the field. The accepted request is
// acknowledged at once, to the consumer (reference, code verification, due date) and in a copy to the
// agent; the code goes to the consumer only; the console's view names the agent; the answer names the
// CPPA and no EU authority or GDPR article.
func TestCCPAAccessByAgent(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	ctx := context.Background()
	const agentEmail = "agent@privacy-helpers.example"
	agent := &dsrflow.Agent{Name: "Privacy Helpers Inc.", Email: agentEmail, PermissionSHA256: strings.Repeat("ab", 32)}

	for _, tc := range []struct {
		body  web.NewRequest
		field string
	}{
		{web.NewRequest{Type: "access", Email: jane, Agent: agent}, "agent"},
		{web.NewRequest{Type: "access", Email: jane, Jurisdiction: "ccpa", Agent: &dsrflow.Agent{Name: "X", Email: jane, PermissionSHA256: agent.PermissionSHA256}}, "agent.email"},
		{web.NewRequest{Type: "access", Email: jane, Jurisdiction: "ccpa", Agent: &dsrflow.Agent{Name: "X", Email: agentEmail, PermissionSHA256: "abc"}}, "agent.permission_sha256"},
	} {
		status, data := c.call("POST", "/api/v1/requests", tc.body)
		var e struct{ Fields map[string]string }
		_ = json.Unmarshal(data, &e)
		if status != http.StatusBadRequest || e.Fields[tc.field] == "" {
			t.Fatalf("%+v: %d %s, want 400 naming %s", tc.body.Agent, status, data, tc.field)
		}
	}
	if rows, _ := s.Store.ListRequests(ctx, store.RequestFilter{}); len(rows) != 0 {
		t.Fatalf("refused requests left %d rows", len(rows))
	}

	id := c.create(web.NewRequest{Type: "access", Email: jane, Name: "Jane Doe", Jurisdiction: "ccpa", Agent: agent})
	c.waitStatus(id, "verifying")
	code := mailedCode(t, c, id)
	msgs, err := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.Message{}
	for _, m := range msgs {
		byID[m.ID] = m
		if m.Kind == "verification_code" && m.To != jane {
			t.Errorf("a code went to %s, not to the consumer", m.To)
		}
	}
	ack, copyToAgent := byID[id+":ack"], byID[id+":ack:agent"]
	v := c.show(id)
	for _, want := range []string{"Your reference: " + id, "one-time code to this email address", "We will answer by " + dueText(t, v.Due), "Privacy Helpers Inc. submitted this request for you"} {
		if ack.To != jane || !strings.Contains(ack.Body, want) {
			t.Errorf("acknowledgement to %s lacks %q:\n%s", ack.To, want, ack.Body)
		}
	}
	if copyToAgent.To != agentEmail || !strings.Contains(copyToAgent.Body, "directly with the consumer you act for") || strings.Contains(copyToAgent.Body, code) {
		t.Errorf("agent's copy to %s:\n%s", copyToAgent.To, copyToAgent.Body)
	}
	if v.Agent == nil || v.Agent.Name != agent.Name || v.Agent.PermissionSHA256 != agent.PermissionSHA256 || v.Agent.Email != "" {
		t.Errorf("view's agent = %+v", v.Agent)
	}

	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": code}); status != http.StatusOK {
		t.Fatalf("verify: %d %s", status, data)
	}
	c.waitStatus(id, "completed")
	var answer string
	waitFor(t, "answer", func() bool {
		m, _ := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
		for _, x := range m {
			if x.Kind == "answer" {
				answer = x.Body
				return true
			}
		}
		return false
	})
	if !strings.Contains(answer, "California Privacy Protection Agency (CPPA)") || strings.Contains(answer, "Art.") || strings.Contains(answer, "Datatilsynet") {
		t.Errorf("a CCPA answer:\n%s", answer)
	}
	// The acknowledgement is queued once, however often the workflow's steps ran.
	n := 0
	m, _ := s.Store.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
	for _, x := range m {
		if x.Kind == "acknowledgement" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d acknowledgements to the consumer, want 1", n)
	}
}

// dueText writes a view's due date (YYYY-MM-DD) as the mails do.
func dueText(t *testing.T, due string) string {
	t.Helper()
	d, err := timeParse(due)
	if err != nil {
		t.Fatalf("due %q: %v", due, err)
	}
	return d.Format("2 January 2006")
}

func timeParse(s string) (time.Time, error) { return time.Parse("2006-01-02", s) }
