// Package eidtest is an OpenID Connect broker in process for tests: discovery, an authorization
// endpoint that "identifies" whoever the test says, a token endpoint that checks the PKCE verifier, and
// RS256 ID tokens carrying national-id claims. Knobs make the next token wrong in one way each; like a
// broker for the Finnish Trust Network, it may require private_key_jwt client authentication
// (RequireClientKey) and encrypt its ID tokens (EncryptTo).
package eidtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Issuer is the broker. Set Person (under the lock, with SetPerson) before a flow starts.
type Issuer struct {
	*httptest.Server
	key *rsa.PrivateKey
	// ClientID is the audience of the tokens it issues.
	ClientID string

	mu     sync.Mutex
	person map[string]any
	codes  map[string]issued
	seq    int
	next   Tamper

	// clientKey, when set, is the public key client assertions must be signed with (private_key_jwt);
	// encryptTo, when set, the key ID tokens are encrypted to.
	clientKey, encryptTo crypto.PublicKey
	// requestObjects: authorization requests must come as request objects signed by clientKey;
	// plainRequests: the discovery document says request objects are not supported.
	requestObjects, plainRequests bool
	// loginVia, when set, is the origin of a login page the browser passes through on its way back
	// (LoginElsewhere).
	loginVia   string
	jtis       map[string]bool
	assertions []map[string]any
}

// Tamper spoils the next ID token in one way.
type Tamper struct {
	// Nonce replaces the nonce the relying party sent.
	Nonce string
	// Audience replaces the client id.
	Audience string
	// Expired issues a token that expired an hour ago.
	Expired bool
}

type issued struct {
	nonce, challenge string
	claims           map[string]any
}

// New starts a broker for clientID, closed when the test ends.
func New(t testing.TB, clientID string) *Issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{key: key, ClientID: clientID, codes: map[string]issued{}, jtis: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss.mu.Lock()
		requestObjects := !iss.plainRequests
		iss.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "authorization_endpoint": iss.URL + "/authorize", "token_endpoint": iss.URL + "/token",
			"jwks_uri": iss.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"pairwise"},
			"code_challenge_methods_supported":                 []string{"S256"},
			"token_endpoint_auth_methods_supported":            []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
			"request_parameter_supported":                      requestObjects,
			"request_object_signing_alg_values_supported":      []string{"RS256", "ES256"},
			"token_endpoint_auth_signing_alg_values_supported": []string{"RS256", "ES256"},
			"id_token_encryption_alg_values_supported":         []string{"RSA-OAEP", "RSA-OAEP-256", "ECDH-ES"},
			"id_token_encryption_enc_values_supported":         []string{"A128CBC-HS256", "A256GCM"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q, err := iss.authorizeParams(r.URL.Query())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			http.Error(w, "PKCE (S256), state and a nonce are required", http.StatusBadRequest)
			return
		}
		if q.Get("client_id") != iss.ClientID || q.Get("response_type") != "code" {
			http.Error(w, "unknown client or response type", http.StatusBadRequest)
			return
		}
		iss.mu.Lock()
		iss.seq++
		code := "code-" + strconv.Itoa(iss.seq)
		iss.codes[code] = issued{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), claims: iss.person}
		via := iss.loginVia
		iss.mu.Unlock()
		back := q.Get("redirect_uri") + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(q.Get("state"))
		if via != "" {
			back = via + "/login?return=" + url.QueryEscape(back)
		}
		http.Redirect(w, r, back, http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		iss.mu.Lock()
		c, ok := iss.codes[r.PostFormValue("code")]
		delete(iss.codes, r.PostFormValue("code")) // a code is exchanged once (RFC 6749 §4.1.2)
		tamper := iss.next
		iss.next = Tamper{}
		iss.mu.Unlock()
		if err := iss.authenticate(r); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": err.Error()})
			return
		}
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || b64(sum[:]) != c.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		now := time.Now()
		claims := map[string]any{"iss": iss.URL, "aud": iss.ClientID, "sub": "pairwise-subject-1", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": c.nonce}
		for k, v := range c.claims {
			claims[k] = v
		}
		if tamper.Nonce != "" {
			claims["nonce"] = tamper.Nonce
		}
		if tamper.Audience != "" {
			claims["aud"] = tamper.Audience
		}
		if tamper.Expired {
			claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}
		w.Header().Set("Content-Type", "application/json")
		idToken := iss.sign(t, claims)
		iss.mu.Lock()
		encryptTo := iss.encryptTo
		iss.mu.Unlock()
		if encryptTo != nil {
			idToken = encrypt(t, encryptTo, idToken)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
	})
	iss.Server = httptest.NewServer(mux)
	t.Cleanup(iss.Close)
	return iss
}

// LoginElsewhere makes the authorize endpoint send the browser on to a login page on another origin,
// which then returns it to the relying party: as brokers do that hand over to an identity provider's
// own domain (a bank's BankID page, MitID's). A browser that holds the start to a CSP form-action of
// the broker's origin refuses that second hop.
func (iss *Issuer) LoginElsewhere(t testing.TB) {
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("return"), http.StatusFound)
	}))
	t.Cleanup(login.Close)
	iss.mu.Lock()
	iss.loginVia = login.URL
	iss.mu.Unlock()
}

// SetPerson sets the claims of whoever is identified next (e.g. {"nin": "...", "name": "Jane Smith"}).
func (iss *Issuer) SetPerson(claims map[string]any) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.person = claims
}

// SpoilNext makes the next ID token wrong as t says.
func (iss *Issuer) SpoilNext(t Tamper) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.next = t
}

func (iss *Issuer) sign(t testing.TB, claims map[string]any) string {
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

// RequireClientKey makes the token endpoint accept only private_key_jwt client authentication with
// assertions signed by pub's private half (RFC 7523: iss and sub the client id, aud the token endpoint,
// unexpired, each jti once); a client secret is then refused.
func (iss *Issuer) RequireClientKey(pub crypto.PublicKey) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.clientKey = pub
}

// RequireRequestObjects makes the authorization endpoint accept only signed request objects (RFC 9101),
// signed by the key RequireClientKey registered, as the Finnish Trust Network's profile does.
func (iss *Issuer) RequireRequestObjects() {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.requestObjects = true
}

// TakesNoRequestObjects makes the discovery document say the broker takes no request objects
// (request_parameter_supported false), before the relying party first reads it.
func (iss *Issuer) TakesNoRequestObjects() {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.plainRequests = true
}

// authorizeParams are an authorization request's parameters: from its request object when it has one
// (checked against the client's key: iss the client id, aud this issuer, unexpired, the query's
// client_id and response_type the object's), else from the query.
func (iss *Issuer) authorizeParams(q url.Values) (url.Values, error) {
	iss.mu.Lock()
	pub, required := iss.clientKey, iss.requestObjects
	iss.mu.Unlock()
	raw := q.Get("request")
	if raw == "" {
		if required {
			return nil, errors.New("a signed request object is required")
		}
		return q, nil
	}
	if pub == nil {
		return nil, errors.New("request objects need the client's registered key")
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		return nil, errors.New("request is not a signed JWT")
	}
	body, err := jws.Verify(pub)
	if err != nil {
		return nil, errors.New("request is not signed by the registered key")
	}
	var c map[string]any
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, errors.New("request's claims are not JSON")
	}
	exp, _ := c["exp"].(float64)
	switch {
	case c["iss"] != iss.ClientID || c["aud"] != iss.URL:
		return nil, errors.New("request's iss must be the client id and aud this issuer")
	case int64(exp) < time.Now().Unix():
		return nil, errors.New("request has expired")
	case c["client_id"] != q.Get("client_id") || c["response_type"] != q.Get("response_type"):
		return nil, errors.New("the query's client_id and response_type must be the request object's")
	}
	out := url.Values{}
	for k, v := range c {
		if s, ok := v.(string); ok {
			out.Set(k, s)
		}
	}
	return out, nil
}

// EncryptTo makes the broker encrypt its ID tokens to pub (a nested JWT: signed, then encrypted with
// RSA-OAEP-256 or ECDH-ES and A256GCM, "cty": "JWT"), as brokers for the Finnish Trust Network do.
func (iss *Issuer) EncryptTo(pub crypto.PublicKey) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.encryptTo = pub
}

// Assertions are the claims of every client assertion the token endpoint accepted, in order.
func (iss *Issuer) Assertions() []map[string]any {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return append([]map[string]any(nil), iss.assertions...)
}

// authenticate checks the token request's client authentication when a client key is required.
func (iss *Issuer) authenticate(r *http.Request) error {
	iss.mu.Lock()
	pub := iss.clientKey
	iss.mu.Unlock()
	if pub == nil {
		return nil
	}
	if _, _, basic := r.BasicAuth(); basic || r.PostFormValue("client_secret") != "" {
		return errors.New("this client authenticates with private_key_jwt, not a secret")
	}
	if r.PostFormValue("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return errors.New("client_assertion_type must be jwt-bearer")
	}
	jws, err := jose.ParseSignedCompact(r.PostFormValue("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		return errors.New("client_assertion is not a signed JWT")
	}
	body, err := jws.Verify(pub)
	if err != nil {
		return errors.New("client_assertion is not signed by the registered key")
	}
	var c map[string]any
	if err := json.Unmarshal(body, &c); err != nil {
		return errors.New("client_assertion's claims are not JSON")
	}
	exp, _ := c["exp"].(float64)
	jti, _ := c["jti"].(string)
	switch {
	case c["iss"] != iss.ClientID || c["sub"] != iss.ClientID:
		return errors.New("client_assertion's iss and sub must be the client id")
	case c["aud"] != iss.URL+"/token":
		return errors.New("client_assertion's aud must be the token endpoint")
	case int64(exp) < time.Now().Unix():
		return errors.New("client_assertion has expired")
	case r.PostFormValue("client_id") != "" && r.PostFormValue("client_id") != iss.ClientID:
		return errors.New("client_id is not the assertion's")
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if jti == "" || iss.jtis[jti] {
		return errors.New("client_assertion's jti is missing or used before")
	}
	iss.jtis[jti] = true
	iss.assertions = append(iss.assertions, c)
	return nil
}

func encrypt(t testing.TB, pub crypto.PublicKey, signed string) string {
	alg := jose.RSA_OAEP_256
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		alg = jose.ECDH_ES
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: alg, Key: pub}, (&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt([]byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
