package devstack_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/web"
)

// The attack of issue 14, end to end: an access request verified by emailed code for
// attacker2@example.com, with John Roe's billing customer id (--customer-id billing=B-john), and the
// same with John's phone number. Neither export nor answer holds anything of John's; the connector's
// job is identity_conflict, audited, and the answer says that system has not answered yet.
func TestForeignIdentifierEndToEnd(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	cases := []struct {
		name, connector string
		body            web.NewRequest
	}{
		{"customer id", "billing", web.NewRequest{Type: "access", Email: "attacker2@example.com", CustomerIDs: map[string]string{"billing": "B-john"}}},
		{"phone", "crm", web.NewRequest{Type: "access", Email: "attacker3@example.com", Phone: "+47 400 00 001"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c
			c.t = t
			id := c.create(tc.body)
			c.waitStatus(id, "verifying")
			if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": mailedCode(t, c, id)}); status != http.StatusOK {
				t.Fatalf("code: %d %s", status, data)
			}
			v := c.waitStatus(id, "completed")
			if got := jobsByConnector(v)[tc.connector+"/access"].Status; got != "identity_conflict" {
				t.Fatalf("%s access job = %q, want identity_conflict; jobs %+v", tc.connector, got, v.Jobs)
			}
			conflicts := 0
			for _, e := range v.Events {
				if e.Action == "identity_conflict" {
					conflicts++
				}
			}
			if conflicts != 1 {
				t.Fatalf("%d identity_conflict events, want 1: %+v", conflicts, v.Events)
			}
			events, _ := json.Marshal(v.Events)
			if strings.Contains(string(events), "B-john") || strings.Contains(string(events), "400 00 001") {
				t.Fatal("an audit event quotes the identifier")
			}
			all := c.answer(id)
			for name, body := range c.export(id) {
				all += "\n" + name + "\n" + body
			}
			for _, john := range []string{"John Roe", "john.roe@example.com", "INV-1044", "car insurance"} {
				if strings.Contains(all, john) {
					t.Fatalf("John's %q is in the attacker's answer or export", john)
				}
			}
			if !strings.Contains(c.answer(id), "could not be confirmed as yours") {
				t.Fatalf("the answer does not say why %s has not answered:\n%s", tc.connector, c.answer(id))
			}
		})
	}
}
