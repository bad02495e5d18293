package admincmd

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/internal/config"
	"github.com/dsrflow/dsrflow/internal/secret"
)

func TestNationalIDKeyIsDerivedFromTheHMACKey(t *testing.T) {
	const hmacKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	k, _ := secret.Parse(hmacKey)
	want := hex.EncodeToString(k.NationalIDKey())
	code, out, errOut := runAdmin(t, map[string]string{"DSR_HMAC_KEY": hmacKey}, "connector", "national-id-key")
	if code != 0 || strings.TrimSpace(out) != want || strings.Contains(out, hmacKey) {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, config.DevKeyFile), []byte(hmacKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runAdmin(t, map[string]string{"DSR_DATA_DIR": dir}, "connector", "national-id-key"); code != 0 || strings.TrimSpace(out) != want {
		t.Fatalf("dev key: exit %d, out %q", code, out)
	}
	if code, _, errOut := runAdmin(t, map[string]string{"DSR_DATA_DIR": t.TempDir()}, "connector", "national-id-key"); code != 2 || !strings.Contains(errOut, "DSR_HMAC_KEY") {
		t.Fatalf("no key: exit %d, err %q", code, errOut)
	}
}
