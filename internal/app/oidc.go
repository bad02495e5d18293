package app

import (
	"strings"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/eid"
	"github.com/dsrflow/dsrflow/internal/secret"
	"github.com/dsrflow/dsrflow/internal/store"
	"github.com/dsrflow/dsrflow/internal/web"
)

// OIDCSignIn is the console's single sign-on, or nil when it is off. The callback address is under
// DSR_PUBLIC_URL, or under base (the dev stack's own address) when that is unset.
func OIDCSignIn(c config.OIDC, base string) *web.OIDC {
	if !c.Enabled() {
		return nil
	}
	if c.PublicURL != "" {
		base = c.PublicURL
	}
	return web.NewOIDC(web.OIDCConfig{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURL: strings.TrimRight(base, "/") + "/console/oidc/callback", GroupsClaim: c.GroupsClaim, Roles: c.Roles})
}

// EIDVerification is the privacy center's eID verification of c, or nil when it is off. The broker
// redirects to base (DSR_PUBLIC_URL, or the dev stack's address) + /privacy/eid/callback; states are
// spent in the store, so every front door on it refuses a replayed callback.
func EIDVerification(c config.EID, base string, st *store.Store, key secret.Key) *web.EID {
	if !c.Enabled() {
		return nil
	}
	rp := eid.New(eid.Config{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientKey: c.ClientKey, Scopes: c.Scopes,
		RedirectURL:     strings.TrimRight(base, "/") + "/privacy/eid/callback",
		ClaimNationalID: c.ClaimNationalID, ClaimName: c.ClaimName, ClaimBirthdate: c.ClaimBirthdate}, web.StoreLedger{Store: st, Key: key})
	return &web.EID{RP: rp, Label: c.Label, Key: c.ClientKey}
}
