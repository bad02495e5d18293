package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestExportLink(t *testing.T) {
	k := Key(strings.Repeat("k", MinKeyLen))
	expires := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	q, err := url.ParseQuery(k.ExportLink("dsr_a", expires))
	if err != nil {
		t.Fatal(err)
	}
	exp, sig := q.Get("expires"), q.Get("sig")
	if !k.CheckExportLink("dsr_a", exp, sig, expires.Add(-time.Hour)) {
		t.Fatal("a fresh link was refused")
	}
	for name, ok := range map[string]bool{
		"expired":       k.CheckExportLink("dsr_a", exp, sig, expires.Add(time.Second)),
		"other request": k.CheckExportLink("dsr_b", exp, sig, expires.Add(-time.Hour)),
		"later expiry":  k.CheckExportLink("dsr_a", "9999999999", sig, expires.Add(-time.Hour)),
		"other key":     Key(strings.Repeat("x", MinKeyLen)).CheckExportLink("dsr_a", exp, sig, expires.Add(-time.Hour)),
		"no signature":  k.CheckExportLink("dsr_a", exp, "", expires.Add(-time.Hour)),
	} {
		if ok {
			t.Errorf("%s: link accepted", name)
		}
	}
}

func TestCodesAndHashes(t *testing.T) {
	k := Key(strings.Repeat("k", MinKeyLen))
	if c := k.Code("dsr_a", 1); len(c) != 6 || strings.Trim(c, "0123456789") != "" || c != k.Code("dsr_a", 1) {
		t.Fatalf("code %q: want 6 digits, the same on a retry", c)
	}
	if k.Code("dsr_a", 1) == k.Code("dsr_a", 2) && k.Code("dsr_a", 2) == k.Code("dsr_a", 3) {
		t.Fatal("every issue gives the same code")
	}
	if k.SubjectKey(" Jane.Doe@Example.com ") != k.SubjectKey("jane.doe@example.com") {
		t.Fatal("subject key depends on case or spaces")
	}
	if k.Hash("subject", "x") == k.Hash("code", "x") {
		t.Fatal("domains do not separate hashes")
	}
	if _, err := Parse("abcd"); err == nil {
		t.Fatal("a 2-byte key was accepted")
	}
}

func TestNationalIDHashIgnoresHowTheNumberIsWritten(t *testing.T) {
	k := Key([]byte("0123456789abcdef0123456789abcdef"))
	want := k.NationalIDHash("0102031234")
	for _, v := range []string{"010203-1234", " 010203 1234 "} {
		if got := k.NationalIDHash(v); got != want {
			t.Errorf("NationalIDHash(%q) differs from NationalIDHash(0102031234)", v)
		}
	}
	if k.NationalIDHash("131052-308t") != k.NationalIDHash("131052308T") {
		t.Error("a Finnish number's check letter is hashed case-sensitively")
	}
	if k.NationalIDHash("0102031235") == want || k.Hash("subject", "0102031234") == want || k.Hash("national-id", "0102031234") == want {
		t.Error("another number, the same in another domain, or under the main key hashes alike")
	}
	// What a connector given the derived key computes (connectors/PROTOCOL.md).
	m := hmac.New(sha256.New, k.NationalIDKey())
	m.Write([]byte("national-id\x000102031234"))
	if hex.EncodeToString(m.Sum(nil)) != want {
		t.Error("the documented computation with NationalIDKey does not give NationalIDHash")
	}
}
