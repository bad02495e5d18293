package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/internal/devstack"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// The demo payroll processor's tenants and customers (connectors/demo): Acme's tenant holds Jane (and
// Ola), Nordlys's John and Ola. Jane's payslips carry these values, which her answer must never hold.
const (
	acmeName    = "Acme Manufacturing Ltd"
	acmeContact = "privacy@acme.example"
	janeGross   = "48500.00"
	janeAccount = "1506.11.22334"
)

// TestRoutedItemEndToEnd is issue 22's "done means" on the dev stack: Jane's access request completes
// with the group's own data plus a routed item for the customer tenant that holds her; the customer is
// mailed; the subject's answer names the customer and holds none of the tenant's records; the customer's
// `execute erase` erases her in that tenant only and the customer gets the confirmation.
func TestRoutedItemEndToEnd(t *testing.T) {
	s := start(t, testConfig(t, t.TempDir()))
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	id := c.create(web.NewRequest{Type: "access", Email: jane, Attest: "called back on the number in our CRM"})
	v := c.waitStatus(id, "completed")
	jobs := jobsByConnector(v)
	for _, sub := range subsidiaries {
		if jobs[sub+"/access"].Status != "completed" {
			t.Errorf("%s access job = %+v, want completed: the group's own data", sub, jobs[sub+"/access"])
		}
	}
	for _, j := range v.Jobs {
		if j.Connector == "payroll" {
			t.Errorf("the processor ran a job of the subject's own request: %+v", j)
		}
	}

	// One routed item: Acme's tenant, waiting for Acme's instruction.
	items := routedOf(c, id)
	if len(items) != 1 {
		t.Fatalf("routed items %+v, want one (Jane is in Acme's tenant only)", items)
	}
	it := items[0]
	if it.ID != dsrflow.RoutedID(id, "payroll", "t-acme") || it.Customer != "acme" || it.LegalName != acmeName ||
		it.Tenant != "t-acme" || it.State != dsrflow.RoutedNotified || !it.DueAt.After(it.NotifiedAt) {
		t.Fatalf("routed item %+v", it)
	}

	// Acme is told through the outbox, with the reference and what to instruct, and none of the data.
	notice := mailOf(t, s, id, "routed_notice")
	if notice.To != acmeContact || !strings.Contains(notice.Subject+notice.Body, it.ID) || !strings.Contains(notice.Body, "execute") {
		t.Fatalf("customer notice to %s: %s\n%s", notice.To, notice.Subject, notice.Body)
	}
	for _, secret := range []string{jane, "Jane", janeGross, janeAccount} {
		if strings.Contains(notice.Subject+notice.Body, secret) {
			t.Errorf("the customer notice holds %q", secret)
		}
	}

	// Jane's answer names Acme and its contact, and holds none of the tenant's records.
	answer := c.answer(id)
	if !strings.Contains(answer, acmeName) || !strings.Contains(answer, acmeContact) {
		t.Fatalf("the answer does not name the customer that controls the payroll data:\n%s", answer)
	}
	files := c.export(id)
	if !strings.Contains(files["data.json"], jane) {
		t.Fatalf("the export lacks the group's own data: %v", keys(files))
	}
	for name, body := range files {
		for _, secret := range []string{janeGross, janeAccount, "payslips"} {
			if strings.Contains(body, secret) {
				t.Errorf("export file %s holds the tenant's %q", name, secret)
			}
		}
		if strings.Contains(name, "payroll") {
			t.Errorf("the export has the processor's file %s", name)
		}
	}
	for _, secret := range []string{janeGross, janeAccount} {
		if strings.Contains(answer, secret) {
			t.Errorf("the answer holds the tenant's %q", secret)
		}
	}

	// Acme instructs: erase her in its tenant.
	status, data := c.call("POST", "/api/v1/routed/"+it.ID+"/instruction", map[string]string{"instruction": "execute", "action": "erase"})
	if status != http.StatusAccepted {
		t.Fatalf("execute erase: %d %s", status, data)
	}
	waitFor(t, "the routed item executed", func() bool {
		items := routedOf(c, id)
		return len(items) == 1 && items[0].State == dsrflow.RoutedExecuted
	})
	done := routedOf(c, id)[0]
	if done.Instruction != dsrflow.InstructExecute || done.Action != dsrflow.ActionErase || done.ClosedAt == nil {
		t.Fatalf("executed item %+v", done)
	}
	confirm := mailOf(t, s, id, "routed_executed")
	if confirm.To != acmeContact || !strings.Contains(confirm.Body, "t-acme") || !strings.Contains(confirm.Body, "erase") {
		t.Fatalf("confirmation to %s:\n%s", confirm.To, confirm.Body)
	}
	if status, data := c.call("POST", "/api/v1/routed/"+it.ID+"/instruction", map[string]string{"instruction": "handled"}); status != http.StatusConflict {
		t.Fatalf("a second instruction: %d %s, want 409", status, data)
	}

	// In the payroll system: Jane is gone from Acme's tenant, and only she: Ola stays in both tenants,
	// John in Nordlys's. One erase changed data, once.
	payroll, _ := s.Product.Connectors.Get("payroll")
	if got := locate(t, payroll, "after-jane", jane); len(got) != 0 {
		t.Errorf("Jane is still located in %+v", got)
	}
	if got := locate(t, payroll, "after-ola", "ola.nordmann@example.com"); !slices.Equal(got, []connectors.TenantHolding{{Tenant: "t-acme", Customer: "acme"}, {Tenant: "t-nordlys", Customer: "nordlys"}}) {
		t.Errorf("Ola after Jane's erase: %+v, want both tenants", got)
	}
	if got := locate(t, payroll, "after-john", "john.roe@example.com"); !slices.Equal(got, []connectors.TenantHolding{{Tenant: "t-nordlys", Customer: "nordlys"}}) {
		t.Errorf("John after Jane's erase: %+v, want Nordlys's tenant", got)
	}
	effects, err := s.Demo.Effects()
	if err != nil {
		t.Fatal(err)
	}
	for job, n := range effects {
		if strings.HasPrefix(job, id+":payroll") && (job != connectors.JobID(id, "payroll.t-acme", dsrflow.ActionErase) || n != 1) {
			t.Errorf("payroll effect %s ×%d, want only the erase in t-acme, once", job, n)
		}
	}
	if effects[connectors.JobID(id, "payroll.t-acme", dsrflow.ActionErase)] != 1 {
		t.Errorf("the erase in t-acme left no effect: %v", effects)
	}

	// Ola is in both tenants: two routed items. Nordlys instructs a rectification with its corrected
	// name; it is made in Nordlys's tenant only, and Acme's item waits on.
	ola := "ola.nordmann@example.com"
	olaID := c.create(web.NewRequest{Type: "access", Email: ola, Attest: "called back on the number in our CRM"})
	c.waitStatus(olaID, "completed")
	byCustomer := func() map[string]dsrflow.RoutedItem {
		m := map[string]dsrflow.RoutedItem{}
		for _, it := range routedOf(c, olaID) {
			m[it.Customer] = it
		}
		return m
	}
	olaItems := byCustomer()
	if len(olaItems) != 2 || olaItems["acme"].Tenant != "t-acme" || olaItems["nordlys"].Tenant != "t-nordlys" {
		t.Fatalf("Ola's routed items %+v, want Acme's and Nordlys's", olaItems)
	}
	body := map[string]any{"instruction": "execute", "action": "rectify", "corrections": map[string]string{"user.name": "Ola Nordmann-Hansen"}}
	if status, data := c.call("POST", "/api/v1/routed/"+olaItems["nordlys"].ID+"/instruction", body); status != http.StatusAccepted {
		t.Fatalf("execute rectify: %d %s", status, data)
	}
	waitFor(t, "the rectification executed", func() bool { return byCustomer()["nordlys"].State == dsrflow.RoutedExecuted })
	if items := byCustomer(); items["acme"].State != dsrflow.RoutedNotified || items["nordlys"].Action != dsrflow.ActionRectify {
		t.Fatalf("Ola's items after Nordlys's rectify: %+v", items)
	}
	if got := tenantNames(t, payroll, ola); got["t-nordlys"] != "Ola Nordmann-Hansen" || got["t-acme"] != "Ola Nordmann" {
		t.Fatalf("Ola's name by tenant after the rectify in t-nordlys: %v", got)
	}
	if m := mailOf(t, s, olaID, "routed_executed"); m.To != "personvern@nordlys.example" || strings.Contains(m.Body, "Nordmann-Hansen") {
		t.Fatalf("Nordlys's confirmation to %s (no corrected value in it):\n%s", m.To, m.Body)
	}

	// Nordlys's system has a callback_url (the demo's): besides the mails it got the item's events,
	// signed with its secret (the demo checks), and Acme, which has none, got no callback.
	var events []string
	waitFor(t, "Nordlys's executed callback", func() bool {
		events = events[:0]
		for _, n := range s.Demo.Notices("nordlys") {
			if n.RoutedID == olaItems["nordlys"].ID {
				events = append(events, n.Event+"/"+string(n.Action)+"/"+string(n.Status))
			}
		}
		return slices.Contains(events, "routed.executed/rectify/completed")
	})
	if events[0] != "routed.opened/access/" || len(events) != 2 {
		t.Fatalf("Nordlys's callbacks %v, want opened (access) then executed", events)
	}
	if n := s.Demo.Notices("acme"); len(n) != 0 {
		t.Fatalf("Acme has no callback_url but got %+v", n)
	}
}

// tenantNames asks the processor for the subject's profile in each tenant (access jobs with a tenant, as
// an executed instruction runs them): tenant → name.
func tenantNames(t *testing.T, conn connectors.Connector, email string) map[string]string {
	t.Helper()
	ep, _ := conn.Endpoint()
	var c connectors.Client
	out := map[string]string{}
	for _, tenant := range []string{"t-acme", "t-nordlys"} {
		req := "names-" + tenant
		job := connectors.Job{Protocol: connectors.ProtocolVersion, ID: connectors.JobID(req, conn.ID+"."+tenant, dsrflow.ActionAccess), RequestID: req,
			Connector: conn.ID, Action: dsrflow.ActionAccess, Tenant: tenant, Identities: dsrflow.Identity{Email: email}}
		res, err := c.Submit(context.Background(), ep, job)
		if err != nil || !res.Status.Final() {
			t.Fatalf("access in %s: %+v, %v", tenant, res, err)
		}
		for _, rec := range res.Records {
			if rec.Dataset == "employees" {
				out[tenant] = rec.Fields["name"]
			}
		}
	}
	return out
}

// routedOf lists the request's routed items through the API.
func routedOf(c apiClient, requestID string) []dsrflow.RoutedItem {
	c.t.Helper()
	status, data := c.call("GET", "/api/v1/routed?request="+requestID, nil)
	if status != http.StatusOK {
		c.t.Fatalf("list routed: %d %s", status, data)
	}
	var items []dsrflow.RoutedItem
	if err := json.Unmarshal(data, &items); err != nil {
		c.t.Fatal(err)
	}
	return items
}

// mailOf waits for the request's one queued message of the kind.
func mailOf(t *testing.T, s *devstack.Stack, requestID, kind string) store.Message {
	t.Helper()
	var got []store.Message
	waitFor(t, kind+" mail", func() bool {
		msgs, err := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: requestID})
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, m := range msgs {
			if m.Kind == kind {
				got = append(got, m)
			}
		}
		return len(got) > 0
	})
	if len(got) != 1 {
		t.Fatalf("%d %s mails, want 1", len(got), kind)
	}
	return got[0]
}

// locate asks the processor directly which tenants hold the email.
func locate(t *testing.T, conn connectors.Connector, request, email string) []connectors.TenantHolding {
	t.Helper()
	ep, ok := conn.Endpoint()
	if !ok {
		t.Fatalf("%s is not reached over HTTP", conn.ID)
	}
	var c connectors.Client
	job := connectors.Job{Protocol: connectors.ProtocolVersion, ID: connectors.JobID(request, conn.ID, dsrflow.ActionLocate), RequestID: request,
		Connector: conn.ID, Action: dsrflow.ActionLocate, Identities: dsrflow.Identity{Email: email}}
	res, err := c.Submit(context.Background(), ep, job)
	if err != nil || !res.Status.Final() {
		t.Fatalf("locate %s: %+v, %v", request, res, err)
	}
	return res.Tenants
}
