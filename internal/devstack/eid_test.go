package devstack_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/eid"
	"github.com/dsrflow/dsrflow/internal/eid/eidtest"
	"github.com/dsrflow/dsrflow/internal/payload"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
	"github.com/dsrflow/dsrflow/workflows"
)

// eidStack starts a dev stack whose privacy center verifies with the in-process broker, under a
// controller that marks portability sensitive. The broker is set up as the Finnish Trust Network's are:
// signed request objects, private_key_jwt client authentication and encrypted ID tokens, with the
// client key read from PEM as DSR_EID_CLIENT_KEY_FILE is.
func eidStack(t *testing.T) (*eidtest.Issuer, config.Dev) {
	iss := eidtest.New(t, "dsrflow-privacy")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	clientKey, err := eid.ParseClientKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "")
	if err != nil {
		t.Fatal(err)
	}
	iss.RequireClientKey(rsaKey.Public())
	iss.RequireRequestObjects()
	iss.EncryptTo(rsaKey.Public())
	dir := t.TempDir()
	controller := filepath.Join(t.TempDir(), "controller.yaml")
	if err := os.WriteFile(controller, append(append([]byte{}, dsrflow.DemoController...), "\nverification:\n  sensitive: [portability]\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dir)
	cfg.MasterKeys = keySpec("e", 3)
	cfg.Controller = controller
	cfg.EID = config.EID{Issuer: iss.URL, ClientID: "dsrflow-privacy", ClientKey: clientKey,
		ClaimNationalID: "nin", ClaimName: "name", ClaimBirthdate: "birthdate"}
	return iss, cfg
}

// eidVerify plays the subject's browser from the status page's link through the broker to the
// callback; it returns the callback's answer and the flow cookie the callback was sent with.
func eidVerify(t *testing.T, b *browser, id, token string) (*http.Response, *http.Cookie, string) {
	t.Helper()
	resp, _ := b.do("GET", "/privacy/requests/"+id+"/eid?t="+url.QueryEscape(token), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("eID start: %d", resp.StatusCode)
	}
	at, err := b.client.Get(resp.Header.Get("Location")) // the broker
	if err != nil {
		t.Fatal(err)
	}
	at.Body.Close()
	if at.StatusCode != http.StatusFound {
		t.Fatalf("broker: %s", at.Status)
	}
	callback := at.Header.Get("Location")
	if !strings.HasPrefix(callback, b.base+"/privacy/eid/callback?") {
		t.Fatalf("the broker sent the browser to %s", callback)
	}
	u, _ := url.Parse(callback)
	var flow *http.Cookie
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "dsr_eid" {
			flow = c
		}
	}
	if flow == nil {
		t.Fatal("the start set no flow cookie for the callback")
	}
	resp, page := b.get(strings.TrimPrefix(callback, b.base))
	return resp, flow, page
}

func TestEIDVerifiedAccessRequestCompletes(t *testing.T) {
	iss, cfg := eidStack(t)
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}
	subject := newBrowser(t, s)
	const nin = "010203-1234" // a made-up number, the demo persona's
	iss.SetPerson(map[string]any{"nin": nin, "name": "Jane Doe", "birthdate": "1990-02-01"})

	if resp, _ := subject.do("POST", "/privacy/request", url.Values{"type": {"access"}, "email": {jane}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	rows, _ := s.Store.ListRequests(context.Background(), store.RequestFilter{})
	if len(rows) != 1 {
		t.Fatalf("%d requests, want 1", len(rows))
	}
	id := rows[0].ID
	mailedCode(t, c, id) // the code mail carries the status link
	var link string
	msgs, _ := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
	for _, m := range msgs {
		if l := statusLink.FindString(m.Body); l != "" {
			link = html.UnescapeString(l)
		}
	}
	token := link[strings.Index(link, "?t=")+3:]
	_, page := subject.get(link)
	if !strings.Contains(page, "Enter the code from our email") || !strings.Contains(page, "Verify with BankID, MitID or Finnish bank ID") {
		t.Fatal("the status page of an access request does not offer both the code and eID")
	}

	// A wrong nonce from the broker is refused, and the request stays unverified.
	iss.SpoilNext(eidtest.Tamper{Nonce: "not-the-one-sent"})
	if resp, _, page := eidVerify(t, subject, id, token); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "could not confirm who you are") {
		t.Fatalf("wrong nonce: %d", resp.StatusCode)
	}
	if v := c.show(id); v.Status != "verifying" {
		t.Fatalf("after a refused eID the request is %s", v.Status)
	}

	resp, flow, _ := eidVerify(t, subject, id, token)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=verified") {
		t.Fatalf("callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	v := c.waitStatus(id, "completed")
	if v.Verification != "eid" {
		t.Fatalf("verification = %q, want eid", v.Verification)
	}
	// The broker's answer is spent: the same callback with the same cookie (another front door, a
	// replayed URL) verifies nothing.
	req, _ := http.NewRequest("GET", resp.Request.URL.String(), nil)
	req.AddCookie(flow)
	again, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback: %d, want 400", again.StatusCode)
	}

	// What the broker confirmed is kept as identities: the national id only as its keyed hash.
	d, err := s.Store.GetRequestDetail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var identity dsrflow.Identity
	_ = json.Unmarshal(d.Identity, &identity)
	if identity.NationalID != s.Product.Key.NationalIDHash(nin) || identity.Name != "Jane Doe" || identity.Birthdate != "1990-02-01" || identity.Email != jane {
		t.Fatalf("identity after eID: national id hashed %v, name %q, birthdate %q", identity.NationalID == s.Product.Key.NationalIDHash(nin), identity.Name, identity.Birthdate)
	}
	for _, digits := range []string{"0102031234", nin} {
		if strings.Contains(string(d.Identity)+string(d.Details), digits) {
			t.Error("the store holds the national id in clear")
		}
		for _, m := range msgs {
			if strings.Contains(m.Body, digits) {
				t.Error("a mail holds the national id")
			}
		}
	}

	// The history replays (change id h18-eid); with DSR_RECORD_HISTORIES it is kept for
	// workflows/testdata.
	keys, err := payload.ParseKeyRing(cfg.MasterKeys)
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("DSR_RECORD_HISTORIES")
	replayAndRecord(t, s, payload.NewCodec(keys), dir, fmt.Sprintf("v%d_access_eid", workflows.RequestVersion), id, workflows.Request)
}

func TestSensitiveTypeRefusesAnEmailedCode(t *testing.T) {
	_, cfg := eidStack(t)
	s := start(t, cfg)
	defer stop(t, s)
	c := apiClient{t: t, stack: s}

	status, data := c.call("POST", "/api/v1/requests", web.NewRequest{Type: "portability", Email: jane, Verification: "email_code"})
	if status != http.StatusBadRequest || !strings.Contains(string(data), `"verification"`) || !strings.Contains(string(data), "an emailed code does not verify it") {
		t.Fatalf("email_code for a sensitive type: %d %s", status, data)
	}
	id := c.create(web.NewRequest{Type: "portability", Email: jane})
	v := c.waitStatus(id, "verifying")
	if v.Verification != "eid" {
		t.Fatalf("a sensitive type's default verification is %q, want eid", v.Verification)
	}
	// Its mail links to the status page and holds no code; the front door and the workflow take none.
	var mail store.Message
	waitFor(t, "the eID mail", func() bool {
		msgs, _ := s.Store.ListOutbox(context.Background(), store.OutboxFilter{RequestID: id})
		for _, m := range msgs {
			if m.Kind == "verification_eid_code" {
				mail = m
				return true
			}
		}
		return false
	})
	if !statusLink.MatchString(mail.Body) || codePattern.MatchString(mail.Body) || !strings.Contains(mail.Body, "electronic ID") {
		t.Fatalf("eID mail: %q", mail.Body)
	}
	if status, data := c.call("POST", "/api/v1/requests/"+id+"/verify", map[string]string{"code": "123456"}); status < 400 {
		t.Fatalf("a code for an eID request: %d %s", status, data)
	}
	link := html.UnescapeString(statusLink.FindString(mail.Body))
	_, page := newBrowser(t, s).get(link)
	if strings.Contains(page, "Enter the code from our email") || !strings.Contains(page, "Verify with BankID, MitID or Finnish bank ID") {
		t.Fatal("the status page of a sensitive request offers a code, or no eID")
	}
	// An agent's attestation still verifies a sensitive type.
	attested := c.create(web.NewRequest{Type: "portability", Email: nobody, Attest: "identified in person at the counter"})
	if v := c.show(attested); v.Verification != "agent_attested" {
		t.Fatalf("attested sensitive request: verification %q", v.Verification)
	}
}
