package payload

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
)

// newKeyText returns a random AES-256 key in standard base64, as an operator would write it.
func newKeyText(t testing.TB) string {
	t.Helper()
	b := make([]byte, KeyLen)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func mustRing(t testing.TB, spec string) *KeyRing {
	t.Helper()
	k, err := ParseKeyRing(spec)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return k
}

// echoes reports whether msg holds any 8 characters in a row of the key text.
func echoes(msg, keyText string) bool {
	for i := 0; i+8 <= len(keyText); i++ {
		if strings.Contains(msg, keyText[i:i+8]) {
			return true
		}
	}
	return false
}

func TestParseKeyRing(t *testing.T) {
	a, b := newKeyText(t), newKeyText(t)
	raw, _ := base64.StdEncoding.DecodeString(b)
	urlRaw := base64.RawURLEncoding.EncodeToString(raw)
	k := mustRing(t, " key-2024-b : "+urlRaw+" ,a:"+a)
	if k.ActiveID() != "key-2024-b" {
		t.Errorf("active key %q, want the first, key-2024-b", k.ActiveID())
	}
	// The URL-alphabet unpadded form must be the same key as the standard form.
	p, err := NewCodec(mustRing(t, "key-2024-b:"+b)).Encode([]*commonpb.Payload{plainPayload("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewCodec(k).Decode(p); err != nil {
		t.Errorf("URL base64 key does not decode what its standard base64 form encoded: %v", err)
	}
	for _, s := range []string{k.String(), fmt.Sprintf("%v", k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k)} {
		if echoes(s, a) || echoes(s, urlRaw) || strings.Contains(s, string(raw)) {
			t.Errorf("printing a key ring shows key material: %s", s)
		}
	}
}

func TestParseKeyRingErrorsHideKeys(t *testing.T) {
	good := newKeyText(t)
	short := base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key"))
	long := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 48)))
	bad := good[:10] + "!" + good[11:]
	for name, tc := range map[string]struct{ spec, keyText string }{
		"short key":       {"a:" + short, short},
		"long key":        {"a:" + long, long},
		"bad base64":      {"a:" + bad, bad},
		"duplicate id":    {"a:" + good + ",a:" + good, good},
		"no id":           {good, good},
		"key before id":   {good + ":a", good},
		"upper-case id":   {"Prod:" + good, good},
		"id too long":     {strings.Repeat("a", 33) + ":" + good, good},
		"empty entry":     {"a:" + good + ",", good},
		"empty key":       {"a:", ""},
		"empty spec":      {"", ""},
		"second is short": {"a:" + good + ",b:" + short, short},
	} {
		_, err := ParseKeyRing(tc.spec)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if echoes(err.Error(), tc.keyText) || echoes(err.Error(), good) {
			t.Errorf("%s: error shows key material: %v", name, err)
		}
	}
}

func TestLoadOrCreateKeyRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payload.keys")
	k1, err := LoadOrCreateKeyRing(path)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ActiveID() != "dev-1" {
		t.Errorf("created ring's active key %q, want dev-1", k1.ActiveID())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyRing(path)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewCodec(k1).Encode([]*commonpb.Payload{plainPayload("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewCodec(k2).Decode(enc); err != nil {
		t.Errorf("reloaded ring does not decode what the created ring encoded: %v", err)
	}

	badPath := filepath.Join(t.TempDir(), "bad.keys")
	leaked := newKeyText(t)[:20]
	if err := os.WriteFile(badPath, []byte("dev-1:"+leaked+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyRing(badPath); err == nil || echoes(err.Error(), leaked) {
		t.Errorf("bad key file: error %v, want one that does not show the key", err)
	}
}
