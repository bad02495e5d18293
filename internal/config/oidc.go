package config

import (
	"net/url"
	"strings"

	"github.com/dsrflow/dsrflow"
)

// OIDC is single sign-on for the console: the provider, this app's client, and which groups give which
// role. The zero value means single sign-on is off (people sign in with API tokens).
type OIDC struct {
	Issuer, ClientID, ClientSecret string
	// GroupsClaim is the ID token claim listing the person's groups.
	GroupsClaim string
	// Roles maps a provider group to a dsrflow role.
	Roles map[string]string
	// PublicURL is the front door's public base URL (DSR_PUBLIC_URL), for the callback address; in dev mode
	// it may be empty and the dev stack uses its own address.
	PublicURL string
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// oidc reads the DSR_OIDC_* variables; production (the front door) needs DSR_PUBLIC_URL with them.
func (r *reader) oidc(production bool) OIDC {
	o := OIDC{Issuer: strings.TrimRight(r.str("DSR_OIDC_ISSUER"), "/"), ClientID: r.str("DSR_OIDC_CLIENT_ID"), ClientSecret: r.str("DSR_OIDC_CLIENT_SECRET"),
		GroupsClaim: r.str("DSR_OIDC_GROUPS_CLAIM")}
	if o.Issuer == "" {
		for _, name := range []string{"DSR_OIDC_CLIENT_ID", "DSR_OIDC_CLIENT_SECRET", "DSR_OIDC_ROLES"} {
			if r.str(name) != "" {
				r.fail("DSR_OIDC_ISSUER", "must be set when %s is (single sign-on is configured only partly)", name)
			}
		}
		return OIDC{}
	}
	if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.fail("DSR_OIDC_ISSUER", "%q is not an absolute http(s) URL", o.Issuer)
	}
	if o.ClientID == "" {
		r.required("DSR_OIDC_CLIENT_ID")
	}
	if o.GroupsClaim == "" {
		o.GroupsClaim = "groups"
	}
	o.Roles = map[string]string{}
	spec := r.str("DSR_OIDC_ROLES")
	if spec == "" {
		r.fail("DSR_OIDC_ROLES", "must map at least one group to a role when DSR_OIDC_ISSUER is set, e.g. `privacy-agents=agent,legal=reviewer`")
	}
	for _, pair := range strings.Split(spec, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		group, role, ok := strings.Cut(pair, "=")
		group, role = strings.TrimSpace(group), strings.TrimSpace(role)
		switch {
		case !ok || group == "":
			r.fail("DSR_OIDC_ROLES", "%q is not group=role", pair)
		case !dsrflow.ValidRole(role):
			r.fail("DSR_OIDC_ROLES", "group %q maps to %q; the roles are agent, reviewer, dpo and admin", group, role)
		case o.Roles[group] != "":
			r.fail("DSR_OIDC_ROLES", "group %q is mapped twice", group)
		default:
			o.Roles[group] = role
		}
	}
	if production {
		o.PublicURL = r.url("DSR_PUBLIC_URL")
	} else if r.str("DSR_PUBLIC_URL") != "" {
		o.PublicURL = r.url("DSR_PUBLIC_URL")
	}
	return o
}
