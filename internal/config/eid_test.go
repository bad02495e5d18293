package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"maps"
	"os"
	"path/filepath"
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
		e.Label != "" || len(e.Scopes) != 0 || e.ClientKey != nil {
		t.Fatalf("defaults: %+v", e)
	}
	full := with("DSR_EID_CLAIM_NATIONAL_ID", "nin")
	full["DSR_EID_SCOPES"] = "openid, profile nin"
	full["DSR_EID_LABEL"] = "BankID"
	if cfg, err = config.LoadDev(env(full)); err != nil {
		t.Fatal(err)
	}
	if e := cfg.EID; e.ClaimNationalID != "nin" || !slices.Equal(e.Scopes, []string{"profile", "nin"}) || e.Label != "BankID" {
		t.Fatalf("set: %+v", e)
	}
	// A private key instead of the secret (private_key_jwt, encrypted ID tokens).
	dir := t.TempDir()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	keyFile, notKey := filepath.Join(dir, "eid.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notKey, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), 0o600); err != nil {
		t.Fatal(err)
	}
	keyAnd := func(k, v string) map[string]string {
		m := with("DSR_EID_CLIENT_KEY_FILE", keyFile)
		m[k] = v
		return m
	}
	if cfg, err = config.LoadDev(env(keyAnd("DSR_EID_CLIENT_KEY_ID", "privacy-2026"))); err != nil {
		t.Fatal(err)
	}
	if k := cfg.EID.ClientKey; k == nil || k.KeyID != "privacy-2026" {
		t.Fatalf("client key: %+v", k)
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
		{"key file missing", with("DSR_EID_CLIENT_KEY_FILE", filepath.Join(dir, "absent.pem")), "DSR_EID_CLIENT_KEY_FILE"},
		{"key file not a key", with("DSR_EID_CLIENT_KEY_FILE", notKey), "DSR_EID_CLIENT_KEY_FILE"},
		{"key and secret", keyAnd("DSR_EID_CLIENT_SECRET", "s3cret"), "DSR_EID_CLIENT_KEY_FILE"},
		{"key id without key", with("DSR_EID_CLIENT_KEY_ID", "k1"), "DSR_EID_CLIENT_KEY_ID"},
	} {
		_, err := config.LoadDev(env(tc.env))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}
