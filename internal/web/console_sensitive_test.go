package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/eid"
	"github.com/dsrflow/dsrflow/internal/service/fake"
	"github.com/dsrflow/dsrflow/internal/store"
)

// The console's new-request form offers for a type the controller marks sensitive only what verifies
// it: with eID, the subject's status link (the request asks for eid) or the agent's attestation;
// without eID, the attestation, required. It never says a code will be emailed.
func TestConsoleFormOffersWhatVerifiesASensitiveType(t *testing.T) {
	ss := newSessionServer(t)
	ss.Sensitive = dsrflow.Sensitive{dsrflow.Portability}
	var asked []dsrflow.NewRequest
	ss.Service = &fake.RequestService{CreateRequestFn: func(_ context.Context, in dsrflow.NewRequest) (dsrflow.CreatedRequest, error) {
		asked = append(asked, in)
		return dsrflow.CreatedRequest{ID: "dsr_new"}, nil
	}}
	cookie := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	get := func(path string) string {
		t.Helper()
		resp := ss.do("GET", path, cookie, nil)
		page, _ := io.ReadAll(resp.Body)
		return string(page)
	}
	csrf := func(page string) string {
		i := strings.Index(page, `name="csrf" value="`)
		if i < 0 {
			t.Fatal("no csrf field")
		}
		rest := page[i+len(`name="csrf" value="`):]
		return rest[:strings.Index(rest, `"`)]
	}

	// Not sensitive: the code, as before.
	if page := get("/console/requests/new?type=access"); !strings.Contains(page, "email the subject a code") || strings.Contains(page, `name="verification"`) {
		t.Error("access lost its emailed code, or asks for a verification")
	}
	// Sensitive, eID configured: the status link and eID, never a code.
	ss.EID = &EID{RP: eid.New(eid.Config{Issuer: "https://broker.example.com", ClientID: "c"}, nil)}
	page := get("/console/requests/new?type=portability")
	if strings.Contains(page, "email the subject a code") || !strings.Contains(page, `<input type="hidden" name="verification" value="eid">`) || !strings.Contains(page, "verify with eID") {
		t.Fatal("the form of a sensitive type with eID offers a code, or not eID")
	}
	resp := ss.do("POST", "/console/requests/new", cookie, url.Values{"csrf": {csrf(page)}, "type": {"portability"}, "email": {"jane@example.com"},
		"country": {"NO"}, "jurisdiction": {"gdpr"}, "channel": {"email"}, "verification": {"eid"}})
	if resp.StatusCode != http.StatusSeeOther || len(asked) != 1 || asked[0].Verification != "eid" {
		t.Fatalf("create: %d, asked %+v", resp.StatusCode, asked)
	}
	// Sensitive, no eID: only an attestation, and the form requires it.
	ss.EID = nil
	if page := get("/console/requests/new?type=portability"); strings.Contains(page, "email the subject a code") || strings.Contains(page, `name="verification"`) ||
		!strings.Contains(page, `name="attest" value="" required`) {
		t.Fatal("the form of a sensitive type without eID offers a code, or does not require the attestation")
	}
}

// The service's refusal of a sensitive type without an attestation (no eID) lands on the attestation
// field, naming why; nothing is created.
func TestConsoleSensitiveRefusalNamesTheAttestation(t *testing.T) {
	ss := newSessionServer(t)
	ss.Sensitive = dsrflow.Sensitive{dsrflow.Portability}
	cookie := ss.signIn(t, ss.createToken(t, "alice", RoleAgent))
	resp := ss.do("GET", "/console/requests/new?type=portability", cookie, nil)
	page, _ := io.ReadAll(resp.Body)
	i := strings.Index(string(page), `name="csrf" value="`)
	token := string(page)[i+len(`name="csrf" value="`):]
	token = token[:strings.Index(token, `"`)]
	resp = ss.do("POST", "/console/requests/new", cookie, url.Values{"csrf": {token}, "type": {"portability"}, "email": {"jane@example.com"},
		"country": {"NO"}, "jurisdiction": {"gdpr"}, "channel": {"email"}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `id="attest-err"`) || !strings.Contains(string(body), "sensitive") {
		t.Fatalf("%d: %s", resp.StatusCode, body)
	}
	if rows, _ := ss.st.ListRequests(context.Background(), store.RequestFilter{}); len(rows) != 0 {
		t.Fatalf("%d requests recorded", len(rows))
	}
}

// The API refuses an emailed code for a sensitive type with a 400 naming the verification field, with
// eID configured or not; nothing is recorded.
func TestAPIRefusesAnEmailedCodeForASensitiveType(t *testing.T) {
	ss := newSessionServer(t)
	ss.Sensitive = dsrflow.Sensitive{dsrflow.Portability}
	token := ss.createToken(t, "anna", RoleAgent)
	for _, withEID := range []bool{false, true} {
		ss.EID = nil
		if withEID {
			ss.EID = &EID{RP: eid.New(eid.Config{Issuer: "https://broker.example.com", ClientID: "c"}, nil)}
		}
		req := httptest.NewRequest("POST", "http://localhost/api/v1/requests",
			strings.NewReader(`{"type":"portability","email":"jane@example.com","verification":"email_code"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		ss.mux.ServeHTTP(rec, req)
		var answer struct {
			Error  string            `json:"error"`
			Fields map[string]string `json:"fields"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &answer)
		if rec.Code != http.StatusBadRequest || !strings.Contains(answer.Fields["verification"], "an emailed code does not verify it") {
			t.Errorf("eID %v: %d %s", withEID, rec.Code, rec.Body)
		}
	}
	if rows, _ := ss.st.ListRequests(context.Background(), store.RequestFilter{}); len(rows) != 0 {
		t.Fatalf("%d requests recorded", len(rows))
	}
}
