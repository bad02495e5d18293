package devstack_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/internal/config"
)

// testIssuer is an OpenID Connect provider in process: discovery, an authorization endpoint that signs in
// whoever the test says, a token endpoint that checks the PKCE verifier, and RS256 ID tokens.
type testIssuer struct {
	*httptest.Server
	key *rsa.PrivateKey

	mu    sync.Mutex
	user  map[string]any // claims of the person who "signs in" next
	codes map[string]issuedCode
	// badNonce makes the next ID token carry a nonce the console did not send.
	badNonce bool
}

type issuedCode struct {
	nonce, challenge string
	claims           map[string]any
}

func newTestIssuer(t *testing.T) *testIssuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{key: key, codes: map[string]issuedCode{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "authorization_endpoint": iss.URL + "/authorize", "token_endpoint": iss.URL + "/token",
			"jwks_uri": iss.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" {
			http.Error(w, "PKCE and a nonce are required", http.StatusBadRequest)
			return
		}
		iss.mu.Lock()
		code := b64([]byte(time.Now().String()))
		iss.codes[code] = issuedCode{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), claims: iss.user}
		iss.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		iss.mu.Lock()
		c, ok := iss.codes[r.PostFormValue("code")]
		delete(iss.codes, r.PostFormValue("code"))
		bad := iss.badNonce
		iss.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || b64(sum[:]) != c.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		claims := map[string]any{"iss": iss.URL, "aud": "dsrflow-console", "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(), "nonce": c.nonce}
		if bad {
			claims["nonce"] = "not-the-one-sent"
		}
		for k, v := range c.claims {
			claims[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": iss.sign(t, claims)})
	})
	iss.Server = httptest.NewServer(mux)
	t.Cleanup(iss.Close)
	return iss
}

func (iss *testIssuer) sign(t *testing.T, claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	body, _ := json.Marshal(claims)
	signing := b64(header) + "." + b64(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, iss.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestConsoleSingleSignOn(t *testing.T) {
	iss := newTestIssuer(t)
	cfg := testConfig(t, t.TempDir())
	cfg.OIDC = config.OIDC{Issuer: iss.URL, ClientID: "dsrflow-console", ClientSecret: "s3cret", GroupsClaim: "groups",
		Roles: map[string]string{"privacy-agents": "agent", "privacy-legal": "reviewer", "privacy-admins": "admin"}}
	s := start(t, cfg)
	defer stop(t, s)

	signIn := func(claims map[string]any) (*http.Response, string) {
		t.Helper()
		iss.mu.Lock()
		iss.user = claims
		iss.mu.Unlock()
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar}
		resp, err := client.Get(s.URL() + "/console/oidc/start?next=" + url.QueryEscape("/console/requests"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	_, page := newBrowser(t, s).get("/console/signin")
	if !strings.Contains(page, "/console/oidc/start") {
		t.Fatal("the sign-in page does not offer single sign-on")
	}
	resp, page := signIn(map[string]any{"sub": "u-1", "preferred_username": "anna", "groups": []string{"staff", "privacy-agents"}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/requests" || !strings.Contains(page, "anna [oidc:u-1] (agent)") {
		t.Fatalf("agent sign-in: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	// Several mapped groups: the strongest role.
	if _, page := signIn(map[string]any{"sub": "u-2", "preferred_username": "ola", "groups": []string{"privacy-agents", "privacy-admins"}}); !strings.Contains(page, "ola [oidc:u-2] (admin)") {
		t.Error("a member of the admin group did not get the admin role")
	}
	// No mapped group: signed in at the provider, but no role here.
	if resp, page := signIn(map[string]any{"sub": "u-3", "preferred_username": "eve", "groups": []string{"staff"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "none of your groups") {
		t.Errorf("someone without a mapped group: %d", resp.StatusCode)
	}
	// An ID token whose nonce is not the one this sign-in sent is refused.
	iss.mu.Lock()
	iss.badNonce = true
	iss.mu.Unlock()
	if resp, _ := signIn(map[string]any{"sub": "u-1", "preferred_username": "anna", "groups": []string{"privacy-agents"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong nonce: %d, want 401", resp.StatusCode)
	}
	// A callback that did not start here (no flow cookie, made-up state) is refused.
	if resp, _ := newBrowser(t, s).get("/console/oidc/callback?code=x&state=y"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("forged callback: %d, want 400", resp.StatusCode)
	}
}
