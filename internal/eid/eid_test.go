package eid_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/eid"
	"github.com/dsrflow/dsrflow/internal/eid/eidtest"
)

const clientID = "dsrflow-privacy"

// jane is a demo persona's claims as a broker names them (claim names configured below).
var jane = map[string]any{"nin": "010203-1234", "name": "Jane Smith", "birthdate": "1990-02-01"}

func newRP(t *testing.T, iss *eidtest.Issuer) *eid.RelyingParty {
	return eid.New(eid.Config{Issuer: iss.URL, ClientID: clientID, ClientSecret: "s3cret", RedirectURL: "https://privacy.example.com/privacy/eid/callback",
		ClaimNationalID: "nin"}, nil)
}

// authorize plays the browser at the broker: it follows the authorization URL and returns the query the
// broker sends back to the callback.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "https://privacy.example.com/privacy/eid/callback" {
		t.Fatalf("the broker sent the browser to %s", got)
	}
	return loc.Query()
}

func TestVerifiedClaimsBecomeAPerson(t *testing.T) {
	iss := eidtest.New(t, clientID)
	iss.SetPerson(jane)
	rp := newRP(t, iss)
	authURL, flow, err := rp.Begin(context.Background(), "R-1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	if q := u.Query(); q.Get("code_challenge_method") != "S256" || q.Get("state") != flow.State || q.Get("nonce") != flow.Nonce || q.Get("scope") != "openid" {
		t.Fatalf("authorization URL %s lacks PKCE S256, the flow's state and nonce, or scope openid", authURL)
	}
	if flow.RequestID != "R-1" || flow.Expires-flow.Issued != int64(eid.FlowTTL.Seconds()) {
		t.Fatalf("flow %+v is not bound to the request with its lifetime", flow)
	}
	p, err := rp.Complete(context.Background(), flow, authorize(t, authURL))
	if err != nil {
		t.Fatal(err)
	}
	if p != (eid.Person{NationalID: "010203-1234", Name: "Jane Smith", Birthdate: "1990-02-01"}) {
		t.Fatalf("person = %+v", p)
	}
}

func TestRefusedVerifications(t *testing.T) {
	iss := eidtest.New(t, clientID)
	iss.SetPerson(jane)
	rp := newRP(t, iss)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func() error
		want error
	}{
		{"wrong state", func() error {
			authURL, flow, _ := rp.Begin(ctx, "R-1")
			q := authorize(t, authURL)
			q.Set("state", "0123456789abcdef0123456789abcdef")
			_, err := rp.Complete(ctx, flow, q)
			return err
		}, eid.ErrState},
		{"another flow's state", func() error {
			_, other, _ := rp.Begin(ctx, "R-2")
			authURL, _, _ := rp.Begin(ctx, "R-1")
			_, err := rp.Complete(ctx, other, authorize(t, authURL))
			return err
		}, eid.ErrState},
		{"replayed state", func() error {
			authURL, flow, _ := rp.Begin(ctx, "R-1")
			q := authorize(t, authURL)
			if _, err := rp.Complete(ctx, flow, q); err != nil {
				t.Fatalf("first use: %v", err)
			}
			_, err := rp.Complete(ctx, flow, q)
			return err
		}, eid.ErrReplayed},
		{"wrong nonce", func() error {
			authURL, flow, _ := rp.Begin(ctx, "R-1")
			iss.SpoilNext(eidtest.Tamper{Nonce: "not-the-one-sent"})
			_, err := rp.Complete(ctx, flow, authorize(t, authURL))
			return err
		}, eid.ErrNonce},
		{"expired token", func() error {
			authURL, flow, _ := rp.Begin(ctx, "R-1")
			iss.SpoilNext(eidtest.Tamper{Expired: true})
			_, err := rp.Complete(ctx, flow, authorize(t, authURL))
			return err
		}, eid.ErrToken},
		{"wrong audience", func() error {
			authURL, flow, _ := rp.Begin(ctx, "R-1")
			iss.SpoilNext(eidtest.Tamper{Audience: "another-client"})
			_, err := rp.Complete(ctx, flow, authorize(t, authURL))
			return err
		}, eid.ErrToken},
		{"expired flow", func() error {
			authURL, flow, _ := rp.Begin(ctx, "R-1")
			flow.Expires = flow.Issued - 1
			_, err := rp.Complete(ctx, flow, authorize(t, authURL))
			return err
		}, eid.ErrExpired},
		{"refused at the broker", func() error {
			_, flow, _ := rp.Begin(ctx, "R-1")
			_, err := rp.Complete(ctx, flow, url.Values{"state": {flow.State}, "error": {"access_denied"}})
			return err
		}, eid.ErrRefused},
		{"wrong PKCE verifier", func() error {
			authURL, flow, _ := rp.Begin(ctx, "R-1")
			flow.Verifier = "a-verifier-the-browser-never-had-a-verifier-the-browser-never-had"
			_, err := rp.Complete(ctx, flow, authorize(t, authURL))
			return err
		}, eid.ErrExchange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestATokenWithoutANationalIDIsRefused(t *testing.T) {
	iss := eidtest.New(t, clientID)
	iss.SetPerson(map[string]any{"name": "Jane Smith"})
	rp := newRP(t, iss)
	authURL, flow, err := rp.Begin(context.Background(), "R-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.Complete(context.Background(), flow, authorize(t, authURL)); !errors.Is(err, eid.ErrNoID) {
		t.Fatalf("err = %v, want ErrNoID", err)
	}
}

func TestNestedClaimsAndDates(t *testing.T) {
	iss := eidtest.New(t, clientID)
	iss.SetPerson(map[string]any{"identity": map[string]any{"ssn": "19900201-1234"}, "birth": "01.02.1990"})
	rp := eid.New(eid.Config{Issuer: iss.URL, ClientID: clientID, RedirectURL: "https://privacy.example.com/privacy/eid/callback",
		ClaimNationalID: "identity.ssn", ClaimBirthdate: "birth"}, nil)
	authURL, flow, err := rp.Begin(context.Background(), "R-1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rp.Complete(context.Background(), flow, authorize(t, authURL))
	if err != nil {
		t.Fatal(err)
	}
	if p.NationalID != "19900201-1234" || p.Birthdate != "1990-02-01" || p.Name != "" {
		t.Fatalf("person = %+v", p)
	}
}

// clientKeyPEM is a fresh RSA or EC private key in PEM (PKCS #8) and its public half.
func clientKeyPEM(t *testing.T, ec bool) ([]byte, crypto.PublicKey) {
	t.Helper()
	var key crypto.Signer
	var err error
	if ec {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), key.Public()
}

// A broker for the Finnish Trust Network takes no client secret: the authorization request is a request
// object signed by the relying party's key (RFC 9101), the code is exchanged with a client assertion
// signed by it (RFC 7523), and the ID token comes back encrypted to that key. With an RSA key and with an EC key, the person is verified; the assertion names this client and
// the token endpoint, and is used once.
func TestPrivateKeyJWTAndEncryptedIDTokens(t *testing.T) {
	for _, ec := range []bool{false, true} {
		t.Run(map[bool]string{false: "RSA", true: "EC"}[ec], func(t *testing.T) {
			iss := eidtest.New(t, clientID)
			iss.SetPerson(jane)
			pemKey, pub := clientKeyPEM(t, ec)
			key, err := eid.ParseClientKey(pemKey, "")
			if err != nil {
				t.Fatal(err)
			}
			iss.RequireClientKey(pub)
			iss.RequireRequestObjects()
			iss.EncryptTo(pub)
			rp := eid.New(eid.Config{Issuer: iss.URL, ClientID: clientID, ClientKey: key, RedirectURL: "https://privacy.example.com/privacy/eid/callback",
				ClaimNationalID: "nin"}, nil)
			for i := range 2 {
				authURL, flow, err := rp.Begin(context.Background(), "R-1")
				if err != nil {
					t.Fatal(err)
				}
				// The parameters travel signed: the query holds no state, nonce or PKCE challenge.
				if u, _ := url.Parse(authURL); u.Query().Get("request") == "" || u.Query().Get("nonce") != "" || u.Query().Get("code_challenge") != "" ||
					u.Query().Get("client_id") != clientID || u.Query().Get("scope") != "openid" {
					t.Fatalf("authorization URL %s is not a signed request", authURL)
				}
				p, err := rp.Complete(context.Background(), flow, authorize(t, authURL))
				if err != nil {
					t.Fatalf("verification %d: %v", i+1, err)
				}
				if p.NationalID != "010203-1234" || p.Name != "Jane Smith" {
					t.Fatalf("person = %+v", p)
				}
			}
			as := iss.Assertions()
			if len(as) != 2 || as[0]["iss"] != clientID || as[0]["sub"] != clientID || as[0]["aud"] != iss.URL+"/token" || as[0]["jti"] == as[1]["jti"] {
				t.Fatalf("assertions = %v", as)
			}
			if exp, iat := as[0]["exp"].(float64), as[0]["iat"].(float64); exp-iat != eid.AssertionTTL.Seconds() {
				t.Fatalf("assertion lives %v s", exp-iat)
			}
		})
	}
}

// Each way the key can be wrong is refused, naming the step: a client secret where the broker wants an
// assertion, an assertion signed by another key, an encrypted token without a key to open it, and one
// encrypted to another key.
func TestClientKeyRefusals(t *testing.T) {
	ctx := context.Background()
	pemKey, pub := clientKeyPEM(t, false)
	key, err := eid.ParseClientKey(pemKey, "k-2026")
	if err != nil || key.KeyID != "k-2026" {
		t.Fatalf("key %v, %v", key, err)
	}
	otherPEM, otherPub := clientKeyPEM(t, false)
	other, _ := eid.ParseClientKey(otherPEM, "")
	run := func(setup func(*eidtest.Issuer), cfg eid.Config) error {
		iss := eidtest.New(t, clientID)
		iss.SetPerson(jane)
		setup(iss)
		cfg.Issuer, cfg.ClientID, cfg.RedirectURL, cfg.ClaimNationalID = iss.URL, clientID, "https://privacy.example.com/privacy/eid/callback", "nin"
		rp := eid.New(cfg, nil)
		authURL, flow, err := rp.Begin(ctx, "R-1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = rp.Complete(ctx, flow, authorize(t, authURL))
		return err
	}
	// A request object signed by another key is refused at the broker, before anyone is identified.
	iss := eidtest.New(t, clientID)
	iss.RequireClientKey(pub)
	authURL, _, err := eid.New(eid.Config{Issuer: iss.URL, ClientID: clientID, ClientKey: other, RedirectURL: "https://privacy.example.com/privacy/eid/callback"}, nil).Begin(ctx, "R-1")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(authURL, "request=") {
		t.Fatalf("a request object signed by another key: %s", resp.Status)
	}
	// Without a key, the broker is asked in the query, as before (no request object).
	if authURL, _, _ := eid.New(eid.Config{Issuer: iss.URL, ClientID: clientID}, nil).Begin(ctx, "R-1"); strings.Contains(authURL, "request=") {
		t.Fatalf("a request object without a client key: %s", authURL)
	}
	for _, tc := range []struct {
		name  string
		setup func(*eidtest.Issuer)
		cfg   eid.Config
		want  error
	}{
		{"a secret where a key is required", func(iss *eidtest.Issuer) { iss.RequireClientKey(pub) }, eid.Config{ClientSecret: "s3cret"}, eid.ErrExchange},
		{"an assertion signed by another key", func(iss *eidtest.Issuer) { iss.RequireClientKey(pub); iss.TakesNoRequestObjects() }, eid.Config{ClientKey: other}, eid.ErrExchange},
		{"an encrypted token and no key", func(iss *eidtest.Issuer) { iss.EncryptTo(pub) }, eid.Config{ClientSecret: "s3cret"}, eid.ErrDecrypt},
		{"a token encrypted to another key", func(iss *eidtest.Issuer) { iss.RequireClientKey(pub); iss.EncryptTo(otherPub) }, eid.Config{ClientKey: key}, eid.ErrDecrypt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := run(tc.setup, tc.cfg); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseClientKey(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509.MarshalPKCS8PrivateKey(small)
	ed, _ := x509.MarshalPKIXPublicKey(small.Public())
	for name, in := range map[string][]byte{
		"not PEM":        []byte("-----NOT A KEY-----"),
		"a public key":   pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ed}),
		"a 1024-bit key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: smallDER}),
	} {
		if _, err := eid.ParseClientKey(in, ""); !errors.Is(err, eid.ErrClientKey) {
			t.Errorf("%s: %v, want ErrClientKey", name, err)
		}
	}
	pemKey, _ := clientKeyPEM(t, true)
	key, err := eid.ParseClientKey(pemKey, "")
	if err != nil {
		t.Fatal(err)
	}
	// The published set: the public half only, for signatures and for encryption, under the key's
	// thumbprint.
	set, _ := json.Marshal(key.JWKS())
	if strings.Contains(string(set), `"d"`) || !strings.Contains(string(set), `"use":"sig"`) || !strings.Contains(string(set), `"use":"enc"`) ||
		!strings.Contains(string(set), `"kid":"`+key.KeyID+`"`) || len(key.KeyID) != 43 {
		t.Fatalf("JWKS = %s", set)
	}
}
