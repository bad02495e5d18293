package app

import (
	"strings"

	"github.com/dsrflow/dsrflow/internal/config"
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
