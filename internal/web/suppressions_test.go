package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/connectors"
	"github.com/dsrflow/dsrflow/connectors/httpkind"
	"github.com/dsrflow/dsrflow/connectors/sdk"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/service"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/store/storetest"
	"github.com/dsrflow/dsrflow/internal/unsubscribe"
	"github.com/dsrflow/dsrflow/internal/web"
)

var (
	suppressionKey    = secret.Key(strings.Repeat("s", secret.MinKeyLen))
	suppressionSecret = []byte(strings.Repeat("c", connectors.MinSecretBytes))
	// suppressionNow is the clock of the front door and of the tests' signatures; the SDK signs with its own.
	suppressionNow = time.Now().UTC().Truncate(time.Second)
)

type suppressionFixture struct {
	st    *store.Store
	svc   *fake.RequestService
	links unsubscribe.Links
	h     http.Handler
}

// newSuppressionFixture is a front door on a SQLite store where jane.doe@example.com opted out, with
// connector crm and an agent token.
func newSuppressionFixture(t *testing.T) suppressionFixture {
	t.Helper()
	ctx := context.Background()
	keys := storetest.Keys(t, "")
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "dsrflow.db"), store.WithKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.AddSuppression(ctx, suppressionKey.SuppressionHash("Jane.Doe@Example.com "), string(dsrflow.MarketingOptout), suppressionNow); err != nil {
		t.Fatal(err)
	}
	reg, err := connectors.NewRegistry(connectors.Connector{
		ID: "crm", Owner: "Example Marketing AS", Role: connectors.RoleSubsidiary,
		Settings: httpkind.Settings{URL: "http://127.0.0.1:1/crm", Secret: suppressionSecret}, Actions: []dsrflow.Action{dsrflow.ActionOptout}, Identities: []string{"email"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The suppression list is read through the real service over the store; the rest is the fake's.
	svc := &fake.RequestService{SuppressionFn: (&service.Service{Store: st}).Suppression}
	return suppressionFixture{st: st, svc: svc, links: unsubscribe.Links{Keys: keys, PublicURL: "https://dsr.example.com"},
		h: web.NewServer(web.Deps{Store: st, Service: svc, Key: suppressionKey, Keys: keys, Connectors: reg,
			Auth: tokens{"agent": agent}, Now: func() time.Time { return suppressionNow }})}
}

func (f suppressionFixture) serve(req *http.Request) (int, map[string]any) {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body
}

// TestSuppressionByHash: staff ask by the address's hash; 200 suppressed with its reason, 404 not; no
// token is 401, a value that is not a hash 400.
func TestSuppressionByHash(t *testing.T) {
	f := newSuppressionFixture(t)
	get := func(hash, token string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/suppressions/"+hash, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return f.serve(req)
	}
	if code, body := get(suppressionKey.SuppressionHash("jane.doe@example.com"), "agent"); code != http.StatusOK || body["suppressed"] != true || body["reason"] != "marketing_optout" {
		t.Errorf("opted-out address: %d %v, want 200 suppressed marketing_optout", code, body)
	}
	if code, body := get(suppressionKey.SuppressionHash("john.roe@example.com"), "agent"); code != http.StatusNotFound || body["suppressed"] != false {
		t.Errorf("another address: %d %v, want 404 not suppressed", code, body)
	}
	if code, _ := get(suppressionKey.SuppressionHash("jane.doe@example.com"), ""); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", code)
	}
	if code, _ := get("jane.doe@example.com", "agent"); code != http.StatusBadRequest {
		t.Errorf("an address instead of a hash: %d, want 400", code)
	}
}

// TestConnectorSuppressionCheck: a connector asks by the address with its signature; a bad signature
// learns nothing.
func TestConnectorSuppressionCheck(t *testing.T) {
	f := newSuppressionFixture(t)
	check := func(connector, email string, secret []byte) (int, map[string]any) {
		body, _ := json.Marshal(map[string]string{"email": email})
		req := httptest.NewRequest(http.MethodPost, "/connectors/v1/suppressions/"+connector, strings.NewReader(string(body)))
		connectors.SignRequest(req, secret, body, suppressionNow)
		return f.serve(req)
	}
	if code, body := check("crm", "JANE.DOE@example.com", suppressionSecret); code != http.StatusOK || body["suppressed"] != true {
		t.Errorf("opted-out address: %d %v, want 200 suppressed", code, body)
	}
	if code, body := check("crm", "john.roe@example.com", suppressionSecret); code != http.StatusNotFound || body["suppressed"] != false {
		t.Errorf("another address: %d %v, want 404", code, body)
	}
	if code, body := check("crm", "jane.doe@example.com", []byte(strings.Repeat("x", connectors.MinSecretBytes))); code != http.StatusUnauthorized || body["suppressed"] != nil {
		t.Errorf("bad signature: %d %v, want 401 and no answer", code, body)
	}
	if code, _ := check("billing", "jane.doe@example.com", suppressionSecret); code != http.StatusNotFound {
		t.Errorf("unknown connector: %d, want 404", code)
	}
}

// TestOneClickUnsubscribe: the RFC 8058 POST to a message's List-Unsubscribe link becomes a marketing
// opt-out for the address sealed in it, without credentials; a forged or altered token, or a body that
// is not the one-click one, changes nothing.
func TestOneClickUnsubscribe(t *testing.T) {
	f := newSuppressionFixture(t)
	var got []dsrflow.NewRequest
	f.svc.CreateRequestFn = func(ctx context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		if p := caller(t, ctx); p.ID != "unsubscribe-link" {
			t.Errorf("created as %v", p)
		}
		got = append(got, in)
		if len(got) > 1 {
			return dsrflow.CreatedRequest{}, &dsrflow.Error{Code: dsrflow.ECONFLICT, Message: "open", Fields: map[string]string{"existing_id": "dsr_first"}}
		}
		return dsrflow.CreatedRequest{ID: "dsr_first", Type: "marketing_optout"}, nil
	}
	headers, err := f.links.Headers("jane.doe@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" || !strings.HasPrefix(headers["List-Unsubscribe"], "<https://dsr.example.com/privacy/unsubscribe?t=") ||
		strings.Contains(strings.ToLower(headers["List-Unsubscribe"]), "jane") {
		t.Fatalf("headers %v: want the https link in <>, the one-click post, and no address in clear", headers)
	}
	link, _ := url.Parse(strings.Trim(headers["List-Unsubscribe"], "<>"))
	post := func(query, body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, unsubscribe.Path+"?"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return f.serve(req)
	}

	if code, body := post(link.RawQuery, "List-Unsubscribe=One-Click"); code != http.StatusOK || body["request_id"] != "dsr_first" {
		t.Fatalf("one-click: %d %v, want 200 with the opt-out", code, body)
	}
	if len(got) != 1 || got[0].Type != "marketing_optout" || got[0].Email != "jane.doe@example.com" || got[0].Channel != "email" {
		t.Fatalf("created %+v, want one marketing_optout for jane by email", got)
	}
	if code, body := post(link.RawQuery, "List-Unsubscribe=One-Click"); code != http.StatusOK || body["request_id"] != "dsr_first" {
		t.Errorf("second click: %d %v, want 200 naming the open opt-out", code, body)
	}

	tampered := link.Query().Get("t")
	tampered = tampered[:len(tampered)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(tampered, "AA")]
	before := len(got)
	for name, tc := range map[string][2]string{
		"altered token": {"t=" + tampered, "List-Unsubscribe=One-Click"},
		"no token":      {"", "List-Unsubscribe=One-Click"},
		"not one-click": {link.RawQuery, "List-Unsubscribe=Yes"},
	} {
		if code, _ := post(tc[0], tc[1]); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if len(got) != before {
		t.Errorf("a refused unsubscribe created %d requests", len(got)-before)
	}
	req := httptest.NewRequest(http.MethodGet, unsubscribe.Path+"?"+link.RawQuery, nil)
	if code, _ := f.serve(req); code == http.StatusOK || len(got) != before {
		t.Errorf("a GET (a link scanner) answered %d and created %d requests; it must change nothing", code, len(got)-before)
	}
}

// TestMarketingClient: a marketing system's SDK client, over real HTTP with its signature, asks the
// suppression list and gets a recipient's unsubscribe headers, whose link the front door then takes as
// a one-click opt-out for that recipient.
func TestMarketingClient(t *testing.T) {
	f := newSuppressionFixture(t)
	var got []string
	f.svc.CreateRequestFn = func(_ context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		got = append(got, in.Type+" "+in.Email)
		return dsrflow.CreatedRequest{ID: "dsr_1"}, nil
	}
	door := httptest.NewServer(f.h)
	defer door.Close()
	ctx := context.Background()
	m := sdk.Marketing{FrontDoor: door.URL, Connector: "crm", Secret: suppressionSecret}
	if s, err := m.Suppressed(ctx, "jane.doe@example.com"); err != nil || !s {
		t.Errorf("Suppressed(jane) = %v, %v; want true", s, err)
	}
	if s, err := m.Suppressed(ctx, "john.roe@example.com"); err != nil || s {
		t.Errorf("Suppressed(john) = %v, %v; want false", s, err)
	}
	forged := sdk.Marketing{FrontDoor: door.URL, Connector: "crm", Secret: []byte(strings.Repeat("x", connectors.MinSecretBytes))}
	if _, err := forged.Suppressed(ctx, "jane.doe@example.com"); err == nil {
		t.Error("a forged signature got an answer")
	}
	headers, err := m.UnsubscribeHeaders(ctx, "john.roe@example.com")
	if err != nil || headers["List-Unsubscribe-Post"] != unsubscribe.Body {
		t.Fatalf("UnsubscribeHeaders = %v, %v", headers, err)
	}
	if _, err := forged.UnsubscribeHeaders(ctx, "john.roe@example.com"); err == nil {
		t.Error("a forged signature got an unsubscribe link")
	}
	link, _ := url.Parse(strings.Trim(headers["List-Unsubscribe"], "<>"))
	req := httptest.NewRequest(http.MethodPost, unsubscribe.Path+"?"+link.RawQuery, strings.NewReader(unsubscribe.Body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, _ := f.serve(req); code != http.StatusOK || len(got) != 1 || got[0] != "marketing_optout john.roe@example.com" {
		t.Errorf("one-click on the link: %d, created %v; want john's opt-out", code, got)
	}
}
