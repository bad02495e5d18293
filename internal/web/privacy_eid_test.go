package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/eid"
	"github.com/dsrflow/dsrflow/internal/service/fake"
)

// Without eID, the form of a type the controller marks sensitive says to contact us instead of taking a
// request no code may verify; other types keep their form.
func TestSensitiveFormWithoutEIDSaysToContactUs(t *testing.T) {
	ss := newSessionServer(t)
	ss.Sensitive = dsrflow.Sensitive{dsrflow.Portability}
	page := body(t, ss.do("GET", "/privacy/request?type=portability", "", nil))
	if !strings.Contains(page, `id="eid-support"`) || strings.Contains(page, `action="/privacy/request"`) {
		t.Fatal("the sensitive type's form is offered without eID")
	}
	if page := body(t, ss.do("GET", "/privacy/request?type=access", "", nil)); !strings.Contains(page, `action="/privacy/request"`) || strings.Contains(page, `id="eid-support"`) {
		t.Fatal("a type not marked sensitive lost its form")
	}
}

// The status page of a request verified by eID offers no code; one waiting for a code offers eID beside
// it when eID is configured.
func TestStatusPageOffersWhatVerifiesTheRequest(t *testing.T) {
	ss := newSessionServer(t)
	verification := string(dsrflow.VerifyEID)
	ss.Service = &fake.RequestService{GetRequestFn: func(_ context.Context, id string) (dsrflow.RequestView, error) {
		return dsrflow.RequestView{ID: id, Type: "access", Status: string(dsrflow.StatusVerifying), Verification: verification}, nil
	}}
	ss.EID = &EID{RP: eid.New(eid.Config{Issuer: "https://broker.example.com/oidc", ClientID: "c"}, nil), Label: "Verify with BankID", Issuer: "https://broker.example.com/oidc"}
	link := "/privacy/requests/dsr_a?t=" + url.QueryEscape(ss.Key.StatusToken("dsr_a"))
	resp := ss.do("GET", link, "", nil)
	page := body(t, resp)
	if strings.Contains(page, `name="code"`) || !strings.Contains(page, `action="/privacy/requests/dsr_a/eid"`) || !strings.Contains(page, "Verify with BankID") {
		t.Fatal("an eID request's status page offers a code, or no eID")
	}
	// Chromium holds the start's redirect to the broker to this page's form-action: the broker's origin is allowed.
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://broker.example.com;") {
		t.Errorf("the eID status page's policy %q does not let its form lead to the broker", csp)
	}
	verification = string(dsrflow.VerifyEmailCode)
	page = body(t, ss.do("GET", link, "", nil))
	if !strings.Contains(page, `name="code"`) || !strings.Contains(page, `action="/privacy/requests/dsr_a/eid"`) {
		t.Fatal("a code request's status page does not offer both the code and eID")
	}
	ss.EID = nil
	resp = ss.do("GET", link, "", nil)
	if page := body(t, resp); strings.Contains(page, "/eid") {
		t.Fatal("eID offered while it is not configured")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
		t.Errorf("without eID the status page's policy is %q, want form-action 'self' alone", csp)
	}
	// A callback without the flow's cookie verifies nothing.
	if resp := ss.do("GET", "/privacy/eid/callback?state=x&code=y", "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback without a flow: %d", resp.StatusCode)
	}
}
