package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// The request page shows the request's routed items (issue 22), read through the service with the
// request's id: the customer by its legal name, the tenant, the state, the deadline and the
// instruction. Without routed items there is no such section.
func TestConsoleRequestShowsRoutedItems(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	svc.GetRequestFn = func(_ context.Context, id string) (dsrflow.RequestView, error) {
		return dsrflow.RequestView{ID: id, Type: "erasure", Status: "fulfilling", Country: "NO", Due: "2026-12-02"}, nil
	}
	svc.RequestMessagesFn = func(context.Context, string) ([]dsrflow.MessageView, error) { return nil, nil }
	svc.RequestTasksFn = func(context.Context, string) ([]dsrflow.RequestTaskView, error) { return nil, nil }
	instructed := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	var asked []string
	svc.ListRoutedFn = func(_ context.Context, requestID string) ([]dsrflow.RoutedItem, error) {
		asked = append(asked, requestID)
		if requestID != "dsr_1" {
			return nil, nil
		}
		return []dsrflow.RoutedItem{
			{ID: "dsr_1:payroll:t-acme", RequestID: "dsr_1", Customer: "acme", LegalName: "Acme Industri AS", Tenant: "t-acme", Connector: "payroll",
				State: dsrflow.RoutedExecuted, Instruction: dsrflow.InstructExecute, Action: "erase", InstructedAt: &instructed,
				DueAt: time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC)},
			{ID: "dsr_1:payroll:t-globex", RequestID: "dsr_1", Customer: "globex", Tenant: "t-globex", Connector: "payroll",
				State: dsrflow.RoutedEscalated, DueAt: time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)},
		}, nil
	}
	agent := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	page := unlabelled(body(t, ss.do("GET", "/console/requests/dsr_1", agent, nil)))
	for _, want := range []string{`<h2 id="routed-h">Routed to customers</h2>`,
		"<td>Acme Industri AS (<code>acme</code>)</td><td><code>t-acme</code></td><td>payroll</td><td>executed</td><td>2026-11-28 23:00 UTC</td><td>execute erase, 2026-11-20 09:30 UTC</td>",
		"<td><code>globex</code></td><td><code>t-globex</code></td><td>payroll</td><td>escalated</td><td>2026-11-27 23:00 UTC</td><td>none yet</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the request page lacks %s", want)
		}
	}
	if len(asked) != 1 || asked[0] != "dsr_1" {
		t.Errorf("ListRouted was called with %q, want the request's id once", asked)
	}

	page = body(t, ss.do("GET", "/console/requests/dsr_2", agent, nil))
	if strings.Contains(page, "Routed to customers") {
		t.Error("a request without routed items shows a routed section")
	}
}

// The console's transparency report counts routed items per customer, as the service reports them;
// with none, there is no such table.
func TestConsoleReportCountsRoutedItems(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	routed := []dsrflow.RoutedCustomerCount{{Customer: "acme", LegalName: "Acme Industri AS", Total: 3, Open: 1, Escalated: 1, Executed: 1, Declined: 1},
		{Customer: "globex", Total: 1, Handled: 1}}
	svc.TransparencyReportFn = func(_ context.Context, year int) (dsrflow.TransparencyReport, error) {
		return dsrflow.TransparencyReport{Year: year, Authorities: []dsrflow.TransparencyRow{}, Routed: routed}, nil
	}
	dpo := ss.signIn(t, ss.createToken(t, "dora", RoleDPO))
	page := unlabelled(body(t, ss.do("GET", "/console/reports/transparency?year=2026", dpo, nil)))
	for _, want := range []string{"No authority request was received in 2026.", "Requests routed to business customers",
		"<td>Acme Industri AS (<code>acme</code>)</td><td>3</td><td>1</td><td>1</td><td>1</td><td>1</td><td>0</td>",
		"<td><code>globex</code></td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the transparency report lacks %s", want)
		}
	}
	routed = nil
	if page := body(t, ss.do("GET", "/console/reports/transparency?year=2026", dpo, nil)); strings.Contains(page, "Requests routed") {
		t.Error("a report without routed items shows a routed table")
	}
}
