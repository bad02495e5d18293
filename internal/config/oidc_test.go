package config_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
)

func TestOIDCVariables(t *testing.T) {
	base := map[string]string{"DSR_OIDC_ISSUER": "https://id.example.com/", "DSR_OIDC_CLIENT_ID": "console", "DSR_OIDC_ROLES": "agents=agent, legal=reviewer,dpo=dpo"}
	with := func(k, v string) map[string]string {
		m := maps.Clone(base)
		m[k] = v
		return m
	}
	cfg, err := config.LoadDev(env(base))
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.OIDC
	if o.Issuer != "https://id.example.com" || o.GroupsClaim != "groups" || o.Roles["legal"] != "reviewer" || len(o.Roles) != 3 {
		t.Fatalf("OIDC %+v", o)
	}
	if cfg, err := config.LoadDev(env(nil)); err != nil || cfg.OIDC.Enabled() {
		t.Fatalf("unset: %+v %v", cfg.OIDC, err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"client id without issuer", map[string]string{"DSR_OIDC_CLIENT_ID": "console"}, "DSR_OIDC_ISSUER"},
		{"issuer not a URL", with("DSR_OIDC_ISSUER", "id.example.com"), "DSR_OIDC_ISSUER"},
		{"no client id", with("DSR_OIDC_CLIENT_ID", ""), "DSR_OIDC_CLIENT_ID"},
		{"no roles", with("DSR_OIDC_ROLES", ""), "DSR_OIDC_ROLES"},
		{"unknown role", with("DSR_OIDC_ROLES", "staff=superuser"), "DSR_OIDC_ROLES"},
		{"not group=role", with("DSR_OIDC_ROLES", "staff"), "DSR_OIDC_ROLES"},
		{"group twice", with("DSR_OIDC_ROLES", "staff=agent,staff=admin"), "DSR_OIDC_ROLES"},
	} {
		_, err := config.LoadDev(env(tc.env))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}
