package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/internal/answer"
	"github.com/dsrflow/dsrflow/internal/store"
)

// TestAnswerNamesOnlyRealRecipients: the answer names the partners that the systems which found the
// subject share data with (connectors.yaml recipients), and none when no such system found her; it
// names the systems that cannot act on the right.
func TestAnswerNamesOnlyRealRecipients(t *testing.T) {
	ctx := context.Background()
	conn := func(id, owner, role string, actions []dsrflow.Action, recipients ...string) connectors.Connector {
		return connectors.Connector{ID: id, Owner: owner, Role: role, Actions: actions, Identities: []string{dsrflow.IdentityEmail},
			Recipients: recipients, Settings: httpkind.Settings{URL: "http://127.0.0.1:1/" + id, Secret: []byte(strings.Repeat("s", 32))}}
	}
	object := []dsrflow.Action{dsrflow.ActionAccess, dsrflow.ActionObject}
	reg, err := connectors.NewRegistry(
		conn("crm", "Example Marketing AS", connectors.RoleSubsidiary, object, "adpartner"),
		conn("billing", "Example Billing AS", connectors.RoleSubsidiary, object),
		conn("forum", "Example Community AS", connectors.RoleSubsidiary, []dsrflow.Action{dsrflow.ActionAccess}),
		conn("adpartner", "Example Ad Partner Ltd", connectors.RolePartner, []dsrflow.Action{dsrflow.ActionNotify}),
	)
	if err != nil {
		t.Fatal(err)
	}
	controller, err := answer.LoadController("../controller.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref := func(id string) activities.ConnectorRef {
		c, _ := reg.Get(id)
		return activities.ConnectorRef{ID: c.ID, Owner: c.Owner, Role: c.Role}
	}
	for _, tc := range []struct {
		name    string
		crm     connectors.Status
		want    []string
		notWant []string
	}{
		{"the CRM held her", connectors.StatusCompleted,
			[]string{"Partners who received your data", "- Example Ad Partner Ltd, from Example Marketing AS."}, nil},
		{"held nowhere", connectors.StatusNotFound, nil, []string{"Partners who received your data", "Ad Partner"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const id = "dsr_recipients"
			st := storeWithRequest(t, id, string(dsrflow.Objection))
			a := &activities.Answer{Store: st, Controller: controller, Connectors: reg}
			in := activities.RespondInput{
				RequestID: id, Type: dsrflow.Objection, Country: "NO", Status: dsrflow.StatusCompleted, To: "jane.doe@example.com",
				Received: time.Now(), Due: time.Now().Add(30 * 24 * time.Hour), Closed: time.Now(),
				Outcomes: []activities.JobOutcome{
					{Connector: ref("billing"), JobID: id + ":billing:object", Action: dsrflow.ActionObject, Status: connectors.StatusNotFound},
					{Connector: ref("crm"), JobID: id + ":crm:object", Action: dsrflow.ActionObject, Status: tc.crm},
				},
			}
			if err := a.Respond(ctx, in); err != nil {
				t.Fatal(err)
			}
			msgs, err := st.ListOutbox(ctx, store.OutboxFilter{RequestID: id})
			if err != nil || len(msgs) != 1 {
				t.Fatalf("outbox: %d messages, %v", len(msgs), err)
			}
			text := msgs[0].Body
			want := append(tc.want, "- Example Community AS: a system of this company cannot stop processing on an objection, so we could not ask it to.",
				"You can also take the matter to court.")
			for _, s := range want {
				if !strings.Contains(text, s) {
					t.Errorf("answer lacks %q:\n%s", s, text)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(text, s) {
					t.Errorf("answer says %q:\n%s", s, text)
				}
			}
		})
	}
}
