// Package eid is the privacy center's OpenID Connect relying party for electronic identification:
// BankID, MitID and the Finnish Trust Network reached through a broker that issues national-id claims.
// It runs the authorization code flow with PKCE (S256), state and nonce, authenticates with a client
// secret or a private key (private_key_jwt, signed request objects, encrypted ID tokens: clientkey.go),
// verifies the ID token (issuer, audience, expiry, nonce) and maps the configured claims to a Person. It
// knows nothing of requests or cookies: the front door keeps the Flow between Begin and Complete, and a
// Ledger spends each state once.
//
// Nothing of a person's claims goes into an error or a log: errors name what failed, never a value.
package eid

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Claim names used when the configuration names none. OpenID Connect Core 1.0 §5.1 defines "name" and
// "birthdate" (YYYY-MM-DD); the national identity number has no standard claim, and each broker names
// its own (README, "eID verification").
const (
	DefaultClaimNationalID = "national_id"
	DefaultClaimName       = "name"
	DefaultClaimBirthdate  = "birthdate"
)

// FlowTTL is how long a started verification may take before its callback is refused.
const FlowTTL = 10 * time.Minute

// Config is the broker and this relying party's client at it.
type Config struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is the front door's /privacy/eid/callback as registered at the broker.
	RedirectURL string
	// Scopes are asked for beside "openid" (some brokers want "profile" or a scope naming the
	// national id); none by default.
	Scopes []string
	// Claims carrying the national identity number, the name and the birth date.
	ClaimNationalID, ClaimName, ClaimBirthdate string
	// ClientKey, when set, authenticates this client with private_key_jwt instead of ClientSecret and
	// decrypts encrypted ID tokens (clientkey.go); brokers for the Finnish Trust Network require both.
	ClientKey *ClientKey
	// Now is the clock ID tokens' expiry is checked against; time.Now when nil.
	Now func() time.Time
}

// Errors of Complete. Each says what failed and carries no claim.
var (
	ErrState       = errors.New("eid: the state does not match this verification")
	ErrExpired     = errors.New("eid: the verification took too long; start again")
	ErrReplayed    = errors.New("eid: this verification's answer was already used")
	ErrRefused     = errors.New("eid: the broker refused the verification")
	ErrExchange    = errors.New("eid: the broker's token endpoint refused the code")
	ErrToken       = errors.New("eid: the ID token is not valid (issuer, audience, signature or expiry)")
	ErrDecrypt     = errors.New("eid: the ID token is encrypted and the client key (DSR_EID_CLIENT_KEY_FILE) does not open it")
	ErrNonce       = errors.New("eid: the ID token's nonce is not this verification's")
	ErrNoID        = errors.New("eid: the ID token carries no national identity number")
	ErrUnavailable = errors.New("eid: the broker cannot be reached")
)

// Flow is one verification in progress: what the front door keeps (in a signed cookie) between Begin
// and Complete. The verifier is PKCE's secret; it only proves this browser started the flow.
type Flow struct {
	// RequestID is the request this verification is for: the callback verifies that request only.
	RequestID string `json:"r"`
	State     string `json:"s"`
	Nonce     string `json:"n"`
	Verifier  string `json:"v"`
	// Issued and Expires are Unix seconds.
	Issued  int64 `json:"i"`
	Expires int64 `json:"e"`
}

// Person is what a verified ID token says about its holder. NationalID is the number in clear: the
// caller hashes it at once (secret.Key.NationalIDHash, which normalizes it) and keeps nothing else of it.
type Person struct {
	NationalID, Name, Birthdate string
}

// Ledger spends a flow's state once across every front door: Spend reports whether key is spent for
// the first time. The front door's ledger is the store's (a counter per flow); MemoryLedger serves one
// process.
type Ledger interface {
	Spend(ctx context.Context, key string, issued time.Time) (bool, error)
}

// MemoryLedger is a Ledger for one process (tests, a single front door).
type MemoryLedger struct {
	mu    sync.Mutex
	spent map[string]bool
}

// Spend implements Ledger.
func (m *MemoryLedger) Spend(_ context.Context, key string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.spent == nil {
		m.spent = map[string]bool{}
	}
	if m.spent[key] {
		return false, nil
	}
	m.spent[key] = true
	return true, nil
}

// RelyingParty verifies people at the broker. The broker is discovered on first use, so a front door
// starts while it is briefly unreachable.
type RelyingParty struct {
	cfg    Config
	ledger Ledger

	mu       sync.Mutex
	provider *oidc.Provider
	// requestObjects: the broker takes signed authorization requests (its discovery document's
	// request_parameter_supported), so they are signed when there is a client key.
	requestObjects bool
}

// New returns the relying party of cfg, spending states in ledger (a MemoryLedger when nil).
func New(cfg Config, ledger Ledger) *RelyingParty {
	if cfg.ClaimNationalID == "" {
		cfg.ClaimNationalID = DefaultClaimNationalID
	}
	if cfg.ClaimName == "" {
		cfg.ClaimName = DefaultClaimName
	}
	if cfg.ClaimBirthdate == "" {
		cfg.ClaimBirthdate = DefaultClaimBirthdate
	}
	if ledger == nil {
		ledger = &MemoryLedger{}
	}
	return &RelyingParty{cfg: cfg, ledger: ledger}
}

func (rp *RelyingParty) now() time.Time {
	if rp.cfg.Now != nil {
		return rp.cfg.Now()
	}
	return time.Now()
}

func (rp *RelyingParty) discover(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider == nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p, err := oidc.NewProvider(ctx, rp.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		rp.provider = p
		var meta struct {
			RequestParameterSupported bool `json:"request_parameter_supported"`
		}
		rp.requestObjects = p.Claims(&meta) == nil && meta.RequestParameterSupported
	}
	scopes := append([]string{oidc.ScopeOpenID}, rp.cfg.Scopes...)
	oc := &oauth2.Config{ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret, RedirectURL: rp.cfg.RedirectURL,
		Endpoint: rp.provider.Endpoint(), Scopes: scopes}
	if rp.cfg.ClientKey != nil {
		// private_key_jwt: client_id and the assertion in the form, no secret anywhere.
		oc.ClientSecret, oc.Endpoint.AuthStyle = "", oauth2.AuthStyleInParams
	}
	return rp.provider, oc, nil
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Begin starts a verification for requestID: the broker's authorization URL (code flow, PKCE S256,
// state, nonce; in a signed request object when there is a client key and the broker takes one) and
// the Flow to keep until the callback.
func (rp *RelyingParty) Begin(ctx context.Context, requestID string) (string, Flow, error) {
	_, oc, err := rp.discover(ctx)
	if err != nil {
		return "", Flow{}, err
	}
	now := rp.now()
	f := Flow{RequestID: requestID, State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Issued: now.Unix(), Expires: now.Add(FlowTTL).Unix()}
	authURL := oc.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	rp.mu.Lock()
	signed := rp.requestObjects && rp.cfg.ClientKey != nil
	rp.mu.Unlock()
	if signed {
		if authURL, err = rp.cfg.ClientKey.requestObject(authURL, rp.cfg.ClientID, rp.cfg.Issuer, now); err != nil {
			return "", Flow{}, err
		}
	}
	return authURL, f, nil
}

// Complete finishes the verification f from the broker's callback query q: the state must be f's and
// spent for the first time, the flow not expired, the code exchanged with f's PKCE verifier, and the ID
// token signed by the issuer, for this client, unexpired and carrying f's nonce and a national id.
func (rp *RelyingParty) Complete(ctx context.Context, f Flow, q url.Values) (Person, error) {
	state := q.Get("state")
	if f.State == "" || state == "" || !hmac.Equal([]byte(state), []byte(f.State)) {
		return Person{}, ErrState
	}
	if rp.now().Unix() > f.Expires {
		return Person{}, ErrExpired
	}
	first, err := rp.ledger.Spend(ctx, f.State, time.Unix(f.Issued, 0))
	if err != nil {
		return Person{}, fmt.Errorf("eid: spend state: %w", err)
	}
	if !first {
		return Person{}, ErrReplayed
	}
	if q.Get("error") != "" {
		return Person{}, ErrRefused
	}
	p, oc, err := rp.discover(ctx)
	if err != nil {
		return Person{}, err
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(f.Verifier)}
	if k := rp.cfg.ClientKey; k != nil {
		assertion, err := k.assertion(rp.cfg.ClientID, oc.Endpoint.TokenURL, rp.now())
		if err != nil {
			return Person{}, err
		}
		opts = append(opts, oauth2.SetAuthURLParam("client_assertion_type", ClientAssertionType), oauth2.SetAuthURLParam("client_assertion", assertion))
	}
	tok, err := oc.Exchange(ctx, q.Get("code"), opts...)
	if err != nil {
		return Person{}, ErrExchange
	}
	raw, _ := tok.Extra("id_token").(string)
	if isEncrypted(raw) {
		if rp.cfg.ClientKey == nil {
			return Person{}, ErrDecrypt
		}
		if raw, err = rp.cfg.ClientKey.decrypt(raw); err != nil {
			return Person{}, ErrDecrypt
		}
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID, Now: rp.now}).Verify(ctx, raw)
	if err != nil {
		return Person{}, ErrToken
	}
	if !hmac.Equal([]byte(idt.Nonce), []byte(f.Nonce)) {
		return Person{}, ErrNonce
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Person{}, ErrToken
	}
	person := Person{NationalID: claimString(claims, rp.cfg.ClaimNationalID), Name: claimString(claims, rp.cfg.ClaimName),
		Birthdate: Birthdate(claimString(claims, rp.cfg.ClaimBirthdate))}
	if person.NationalID == "" {
		return Person{}, ErrNoID
	}
	return person, nil
}

// claimString is the claim name as a trimmed string ("" when absent or not a string or number). A name
// with dots that is not a claim itself is read as a path into nested objects ("address.country").
func claimString(claims map[string]any, name string) string {
	v, ok := claims[name]
	if !ok && strings.Contains(name, ".") {
		var cur any = claims
		for _, part := range strings.Split(name, ".") {
			m, isMap := cur.(map[string]any)
			if !isMap {
				cur = nil
				break
			}
			cur = m[part]
		}
		v = cur
	}
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strings.TrimSpace(fmt.Sprintf("%.0f", v))
	}
	return ""
}

// Birthdate is v as YYYY-MM-DD (OpenID Connect Core 1.0 §5.1's form); brokers that give a date in
// another common form (DD.MM.YYYY, YYYYMMDD) are read too. Anything else is dropped: a date that cannot
// be read is no identity to match on.
func Birthdate(v string) string {
	for _, layout := range []string{"2006-01-02", "02.01.2006", "20060102", "02-01-2006"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02")
		}
	}
	return ""
}
