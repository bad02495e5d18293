package config_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
)

// TestTrustedProxies: DSR_TRUSTED_PROXIES is parsed at start; a bad value stops the program naming it.
func TestTrustedProxies(t *testing.T) {
	cfg, err := config.LoadDev(env(map[string]string{"DSR_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,fd00::/8"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8")}
	if len(cfg.TrustedProxies) != len(want) {
		t.Fatalf("TrustedProxies = %v, want %v", cfg.TrustedProxies, want)
	}
	for i := range want {
		if cfg.TrustedProxies[i] != want[i] {
			t.Fatalf("TrustedProxies = %v, want %v", cfg.TrustedProxies, want)
		}
	}
	if cfg, _ := config.LoadDev(env(nil)); len(cfg.TrustedProxies) != 0 {
		t.Fatalf("unset: %v, want none", cfg.TrustedProxies)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.0/8;10.1.0.0/16"} {
		_, err := config.LoadServe(env(map[string]string{"DSR_TRUSTED_PROXIES": bad}))
		var cerr *config.Error
		if !errors.As(err, &cerr) {
			t.Fatalf("%q: %v, want a configuration error", bad, err)
		}
		if _, err := config.LoadDev(env(map[string]string{"DSR_TRUSTED_PROXIES": bad})); !errors.As(err, &cerr) || cerr.Var != "DSR_TRUSTED_PROXIES" {
			t.Fatalf("%q: %v, want an error naming DSR_TRUSTED_PROXIES", bad, err)
		}
	}
}
