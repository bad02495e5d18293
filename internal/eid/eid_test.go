package eid_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
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
