// Package eidtest is an OpenID Connect broker in process for tests: discovery, an authorization
// endpoint that "identifies" whoever the test says, a token endpoint that checks the PKCE verifier, and
// RS256 ID tokens carrying national-id claims. Knobs make the next token wrong in one way each.
package eidtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
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
	iss := &Issuer{key: key, ClientID: clientID, codes: map[string]issued{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "authorization_endpoint": iss.URL + "/authorize", "token_endpoint": iss.URL + "/token",
			"jwks_uri": iss.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"pairwise"},
			"code_challenge_methods_supported": []string{"S256"},
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
		iss.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		iss.mu.Lock()
		c, ok := iss.codes[r.PostFormValue("code")]
		delete(iss.codes, r.PostFormValue("code")) // a code is exchanged once (RFC 6749 §4.1.2)
		tamper := iss.next
		iss.next = Tamper{}
		iss.mu.Unlock()
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
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": iss.sign(t, claims)})
	})
	iss.Server = httptest.NewServer(mux)
	t.Cleanup(iss.Close)
	return iss
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
