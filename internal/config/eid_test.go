package config_test

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
)

func TestEIDVariables(t *testing.T) {
	base := map[string]string{"DSR_EID_ISSUER": "https://broker.example.com/oidc/", "DSR_EID_CLIENT_ID": "privacy-center"}
	with := func(k, v string) map[string]string {
		m := maps.Clone(base)
		m[k] = v
		return m
	}
	cfg, err := config.LoadDev(env(base))
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.EID
	if !e.Enabled() || e.Issuer != "https://broker.example.com/oidc" || e.ClaimNationalID != "national_id" || e.ClaimName != "name" || e.ClaimBirthdate != "birthdate" ||
		e.Label != "Verify with BankID / MitID / Finnish bank ID" || len(e.Scopes) != 0 {
		t.Fatalf("defaults: %+v", e)
	}
	full := with("DSR_EID_CLAIM_NATIONAL_ID", "nin")
	full["DSR_EID_SCOPES"] = "openid, profile nin"
	full["DSR_EID_LABEL"] = "Verify with BankID"
	if cfg, err = config.LoadDev(env(full)); err != nil {
		t.Fatal(err)
	}
	if e := cfg.EID; e.ClaimNationalID != "nin" || !slices.Equal(e.Scopes, []string{"profile", "nin"}) || e.Label != "Verify with BankID" {
		t.Fatalf("set: %+v", e)
	}
	if cfg, err := config.LoadDev(env(nil)); err != nil || cfg.EID.Enabled() {
		t.Fatalf("unset: %+v %v", cfg.EID, err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"client id without issuer", map[string]string{"DSR_EID_CLIENT_ID": "privacy-center"}, "DSR_EID_ISSUER"},
		{"claim without issuer", map[string]string{"DSR_EID_CLAIM_NATIONAL_ID": "nin"}, "DSR_EID_ISSUER"},
		{"issuer not a URL", with("DSR_EID_ISSUER", "broker.example.com"), "DSR_EID_ISSUER"},
		{"no client id", with("DSR_EID_CLIENT_ID", ""), "DSR_EID_CLIENT_ID"},
		{"claim with a space", with("DSR_EID_CLAIM_NAME", "given_name family_name"), "DSR_EID_CLAIM_NAME"},
	} {
		_, err := config.LoadDev(env(tc.env))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}
