package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// A reviewer's request page offers the refusal with its grounds, an agent's does not; the form reaches
// the service with the ground and the reasons as the signed-in reviewer.
func TestConsoleRefusal(t *testing.T) {
	ss := newSessionServer(t)
	svc := &fake.RequestService{}
	ss.Service = svc
	svc.GetRequestFn = func(_ context.Context, id string) (dsrflow.RequestView, error) {
		return dsrflow.RequestView{ID: id, Type: "erasure", Status: "verifying", Due: "2026-12-02", RepeatOf: "dsr_earlier"}, nil
	}
	svc.RequestMessagesFn = func(context.Context, string) ([]dsrflow.MessageView, error) { return nil, nil }
	svc.ListRoutedFn = func(context.Context, string) ([]dsrflow.RoutedItem, error) { return nil, nil }
	svc.RequestTasksFn = func(context.Context, string) ([]dsrflow.RequestTaskView, error) { return nil, nil }
	var got dsrflow.Refusal
	var by dsrflow.Principal
	svc.RefuseRequestFn = func(ctx context.Context, id string, r dsrflow.Refusal) (dsrflow.RequestState, error) {
		got, by = r, mustPrincipal(ctx)
		return dsrflow.RequestState{ID: id, Status: "rejected"}, nil
	}

	agent := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	page, _ := io.ReadAll(ss.do("GET", "/console/requests/dsr_1", agent, nil).Body)
	if strings.Contains(string(page), "/refuse") {
		t.Error("an agent's page offers the refusal")
	}
	if !strings.Contains(string(page), "dsr_earlier") {
		t.Error("the page does not show the repeat flag")
	}

	rita := ss.signIn(t, ss.createToken(t, "rita", RoleReviewer))
	page, _ = io.ReadAll(ss.do("GET", "/console/requests/dsr_1", rita, nil).Body)
	for _, want := range []string{`action="/console/requests/dsr_1/refuse"`, `<option value="manifestly_excessive">`, `<option value="identity_not_confirmed">`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("a reviewer's page lacks %q", want)
		}
	}
	// A refusal needs its confirmation box ticked: without it nothing reaches the service.
	resp := ss.do("POST", "/console/requests/dsr_1/refuse", rita, url.Values{"csrf": {ss.csrf(t, rita)}, "ground": {"manifestly_excessive"}, "reason": {"fourth this week"}})
	unconfirmed, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || got != (dsrflow.Refusal{}) || !strings.Contains(string(unconfirmed), `href="#refuse-confirm"`) ||
		!strings.Contains(string(unconfirmed), `id="refuse-confirm" name="confirm" value="yes" required aria-invalid="true"`) {
		t.Errorf("refuse without confirmation: %d, service got %+v", resp.StatusCode, got)
	}
	resp = ss.do("POST", "/console/requests/dsr_1/refuse", rita, url.Values{"csrf": {ss.csrf(t, rita)}, "ground": {"manifestly_excessive"}, "reason": {" fourth this week "}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || got != (dsrflow.Refusal{Ground: "manifestly_excessive", Reason: "fourth this week"}) || by.ID != "token:rita" {
		t.Errorf("refuse: %d, service got %+v as %+v", resp.StatusCode, got, by)
	}
}

func mustPrincipal(ctx context.Context) dsrflow.Principal {
	p, _ := dsrflow.PrincipalFrom(ctx)
	return p
}
