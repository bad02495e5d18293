package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/eid"
	"github.com/dsrflow/dsrflow/internal/eid/eidtest"
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
	ss.EID = &EID{RP: eid.New(eid.Config{Issuer: "https://broker.example.com/oidc", ClientID: "c"}, nil), Label: "BankID"}
	token := ss.Key.StatusToken("dsr_a")
	link := "/privacy/requests/dsr_a?t=" + url.QueryEscape(token)
	// The start is a link, not a form: Chromium holds a form's whole redirect chain (to the broker, and
	// on to its identity provider's origin) to the page's form-action 'self'.
	start := `href="/privacy/requests/dsr_a/eid?t=` + html.EscapeString(url.QueryEscape(token)) + `"`
	resp := ss.do("GET", link, "", nil)
	page := body(t, resp)
	if strings.Contains(page, `name="code"`) || !strings.Contains(page, start) || !strings.Contains(page, ">Verify with BankID</a>") {
		t.Fatalf("an eID request's status page offers a code, or no eID link %s:\n%s", start, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
		t.Errorf("the eID status page's policy is %q, want form-action 'self' alone", csp)
	}
	verification = string(dsrflow.VerifyEmailCode)
	page = body(t, ss.do("GET", link, "", nil))
	if !strings.Contains(page, `name="code"`) || !strings.Contains(page, start) {
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

// The eID button speaks the subject's language around the brand, which stays as configured
// (DSR_EID_LABEL); without one, the brands are named in that language too.
func TestEIDButtonInTheSubjectsLanguage(t *testing.T) {
	ss := newSessionServer(t)
	ss.Service = &fake.RequestService{GetRequestFn: func(_ context.Context, id string) (dsrflow.RequestView, error) {
		return dsrflow.RequestView{ID: id, Type: "access", Status: string(dsrflow.StatusVerifying), Verification: string(dsrflow.VerifyEID)}, nil
	}}
	link := "/privacy/requests/dsr_a?t=" + url.QueryEscape(ss.Key.StatusToken("dsr_a"))
	for _, tc := range []struct{ label, lang, want string }{
		{"BankID", "sv", ">Legitimera dig med BankID</a>"},
		{"BankID", "nb", ">Identifiser deg med BankID</a>"},
		{"MitID", "da", ">Bekræft din identitet med MitID</a>"},
		{"", "fi", ">Tunnistaudu: BankID, MitID tai pankkitunnukset</a>"},
		{"", "en", ">Verify with BankID, MitID or Finnish bank ID</a>"},
	} {
		ss.EID = &EID{RP: eid.New(eid.Config{Issuer: "https://broker.example.com", ClientID: "c"}, nil), Label: tc.label}
		if page := body(t, ss.do("GET", link+"&lang="+tc.lang, "", nil)); !strings.Contains(page, tc.want) {
			t.Errorf("%s, label %q: no %s", tc.lang, tc.label, tc.want)
		}
	}
}

// The callback verifies the request through the request service with what the broker confirmed: the
// privacy center starts the flow, the broker identifies Jane Smith, and the callback hands her national
// id, name and birth date to RequestService.VerifyEID for that request only, then shows its page.
func TestEIDCallbackVerifiesThroughTheService(t *testing.T) {
	ss := newSessionServer(t)
	iss := eidtest.New(t, "privacy")
	iss.SetPerson(map[string]any{"nin": "010203-1234", "name": "Jane Smith", "birthdate": "1990-02-01"})
	ss.EID = &EID{RP: eid.New(eid.Config{Issuer: iss.URL, ClientID: "privacy", RedirectURL: "http://localhost/privacy/eid/callback", ClaimNationalID: "nin"}, nil)}
	var got []dsrflow.EIDPerson
	ss.Service = &fake.RequestService{VerifyEIDFn: func(ctx context.Context, id string, p dsrflow.EIDPerson) (dsrflow.RequestState, error) {
		if id != "dsr_a" {
			t.Errorf("verified %s", id)
		}
		got = append(got, p)
		return dsrflow.RequestState{ID: id, Status: string(dsrflow.StatusFulfilling), Verified: true, EID: true}, nil
	}}
	token := ss.Key.StatusToken("dsr_a")
	// A made-up token starts nothing; the form's POST (pages rendered before the link) still starts.
	if bad := ss.do("GET", "/privacy/requests/dsr_a/eid?t=made-up", "", nil); bad.StatusCode == http.StatusSeeOther {
		t.Fatalf("a made-up token started a flow to %s", bad.Header.Get("Location"))
	}
	if post := ss.do("POST", "/privacy/requests/dsr_a/eid", "", url.Values{"t": {token}}); post.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(post.Header.Get("Location"), iss.URL+"/authorize?") {
		t.Fatalf("start by POST: %d to %s", post.StatusCode, post.Header.Get("Location"))
	}
	start := ss.do("GET", "/privacy/requests/dsr_a/eid?t="+url.QueryEscape(token), "", nil)
	if start.StatusCode != http.StatusSeeOther || !strings.HasPrefix(start.Header.Get("Location"), iss.URL+"/authorize?") {
		t.Fatalf("start: %d to %s", start.StatusCode, start.Header.Get("Location"))
	}
	var flow *http.Cookie
	for _, c := range start.Cookies() {
		if c.Name == eidCookie {
			flow = c
		}
	}
	if flow == nil || !flow.HttpOnly || flow.Path != "/privacy/eid/" {
		t.Fatalf("flow cookie %+v", flow)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(start.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Path != "/privacy/eid/callback" {
		t.Fatalf("the broker sent the browser to %v", resp.Header.Get("Location"))
	}
	callback := func() *http.Response {
		req := httptest.NewRequest("GET", back.String(), nil)
		req.AddCookie(flow)
		rec := httptest.NewRecorder()
		ss.mux.ServeHTTP(rec, req)
		return rec.Result()
	}
	done := callback()
	if done.StatusCode != http.StatusSeeOther || !strings.Contains(done.Header.Get("Location"), "/privacy/requests/dsr_a?") || !strings.Contains(done.Header.Get("Location"), "done=verified") {
		t.Fatalf("callback: %d to %s", done.StatusCode, done.Header.Get("Location"))
	}
	if len(got) != 1 || got[0] != (dsrflow.EIDPerson{NationalID: "010203-1234", Name: "Jane Smith", Birthdate: "1990-02-01"}) {
		t.Fatalf("VerifyEID got %+v", got)
	}
	// The same answer again is a replay: refused, and nothing more is verified.
	ss.Service.(*fake.RequestService).GetRequestFn = func(_ context.Context, id string) (dsrflow.RequestView, error) {
		return dsrflow.RequestView{ID: id, Type: "access", Status: string(dsrflow.StatusVerifying), Verification: string(dsrflow.VerifyEID)}, nil
	}
	if again := callback(); again.StatusCode != http.StatusBadRequest || len(got) != 1 {
		t.Fatalf("replayed callback: %d, %d verifications", again.StatusCode, len(got))
	}
}

// With a client key, its public half is published for the broker; without one there is nothing there.
func TestEIDKeysArePublished(t *testing.T) {
	ss := newSessionServer(t)
	if resp := ss.do("GET", "/privacy/eid/jwks.json", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("no eID: %d", resp.StatusCode)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	key, err := eid.ParseClientKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "privacy-2026")
	if err != nil {
		t.Fatal(err)
	}
	ss.EID = &EID{RP: eid.New(eid.Config{Issuer: "https://broker.example.com", ClientID: "c"}, nil)}
	if resp := ss.do("GET", "/privacy/eid/jwks.json", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("no client key: %d", resp.StatusCode)
	}
	ss.EID.Key = key
	resp := ss.do("GET", "/privacy/eid/jwks.json", "", nil)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks: %d %v", resp.StatusCode, err)
	}
	if len(set.Keys) != 2 || set.Keys[0]["kid"] != "privacy-2026" || set.Keys[0]["use"] != "sig" || set.Keys[1]["use"] != "enc" || set.Keys[0]["d"] != nil {
		t.Fatalf("jwks: %v", set.Keys)
	}
}
