package payload

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func ring(t *testing.T, spec string) *KeyRing {
	t.Helper()
	k, err := ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	a := "a:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	b := "b:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	old := ring(t, a)
	plain := []byte("PK export of jane.doe@example.com")
	sealed, err := old.Seal(plain, "export:dsr_1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("jane.doe")) {
		t.Fatal("sealed data holds the plaintext")
	}
	rotated := ring(t, b+","+a)
	if got, err := rotated.Open(sealed, "export:dsr_1"); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open after rotation: %q, %v", got, err)
	}
	if _, err := rotated.Open(sealed, "export:dsr_2"); err == nil {
		t.Fatal("sealed data opened in another context")
	}
	if _, err := ring(t, b).Open(sealed, "export:dsr_1"); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("open without the key: %v, want an error naming key a", err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := old.Open(tampered, "export:dsr_1"); err == nil {
		t.Fatal("tampered data opened")
	}
	if _, err := old.Open(sealed[:3], "export:dsr_1"); err == nil {
		t.Fatal("truncated data opened")
	}
}
