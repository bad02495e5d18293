// Package secret holds dsrflow's keyed hashing: subjects are looked up and verification codes checked by
// an HMAC of the value, never by the clear value.
package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
)

// MinKeyLen is the least key length accepted, in bytes.
const MinKeyLen = 32

// Key is an HMAC-SHA256 key.
type Key []byte

// Hash returns the hex HMAC of value in a domain ("subject", "code", ...), so the same value hashed for
// different purposes never matches.
func (k Key) Hash(domain, value string) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// NationalIDHash is the keyed hash of a national identity number an eID verification confirmed: the
// only form of it dsrflow keeps or hands to connectors (identity type national_id). The number is
// hashed without spaces and hyphens, in upper case (a Danish CPR number is written 010203-1234 or
// 0102031234; a Finnish one ends in a letter).
//
// The hash is keyed by NationalIDKey, not by k: a connector that matches on national_id is given that
// derived key (`dsrflow-admin connector national-id-key`) to hash its own stored numbers alike, and
// learns nothing that makes subjects' or codes' hashes.
func (k Key) NationalIDHash(id string) string {
	return k.NationalIDKey().Hash("national-id", strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(id)))
}

// NationalIDKey is the key of national ids' keyed hashes, derived from k (HMAC-SHA256 of
// "national-id-key"): a connector computes hex(HMAC-SHA256(key, "national-id" 0x00 NUMBER)).
func (k Key) NationalIDKey() Key {
	b, _ := hex.DecodeString(k.Hash("national-id-key", ""))
	return b
}

// SubjectKey is the lookup key of a subject: the keyed hash of the normalised email (NormalizeEmail).
func (k Key) SubjectKey(email string) string {
	return k.Hash("subject", NormalizeEmail(email))
}

// SuppressionHash is an address's entry on the marketing suppression list: the keyed hash of the
// normalised address, 64 hex digits. Its own domain keeps it from matching a subject key, so the list,
// which outlives erasure, cannot be joined to the requests.
func (k Key) SuppressionHash(email string) string {
	return k.Hash("suppression", NormalizeEmail(email))
}

// NormalizeEmail is the form of an address that keys and limits count by: trimmed, lower case, and a
// quoted local part unquoted, since "x"@example.com is the same mailbox as x@example.com (RFC 5322
// section 3.4.1). A value that does not parse as an address is only trimmed and lower-cased.
func NormalizeEmail(email string) string {
	email = strings.TrimSpace(email)
	if addr, err := mail.ParseAddress(email); err == nil && addr.Name == "" {
		email = addr.Address
	}
	return strings.ToLower(email)
}

// CodeHash is the stored form of a request's verification code.
func (k Key) CodeHash(requestID, code string) string {
	return k.Hash("code", requestID+"\x00"+strings.TrimSpace(code))
}

// Code derives the n-th 6-digit verification code of a request. Without the key it is as unpredictable
// as a random code; with it, a retried issue reproduces the code it stored.
func (k Key) Code(requestID string, n int) string {
	sum, _ := hex.DecodeString(k.Hash("codegen", fmt.Sprintf("%s\x00%d", requestID, n)))
	v := binary.BigEndian.Uint64(sum[:8]) % 1_000_000
	return fmt.Sprintf("%06d", v)
}

// ExportLink returns the query of a subject's signed export link: valid until expires, for this request
// only.
func (k Key) ExportLink(requestID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return "expires=" + exp + "&sig=" + k.Hash("export", requestID+"\x00"+exp)
}

// CheckExportLink verifies a signed export link's expiry and signature (constant time).
func (k Key) CheckExportLink(requestID, expires, sig string, now time.Time) bool {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || now.Unix() > exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(k.Hash("export", requestID+"\x00"+expires)))
}

// Parse reads a key written as base64 (standard or URL alphabet) or hex.
func Parse(text string) (Key, error) {
	text = strings.TrimSpace(text)
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if b, err := dec(text); err == nil {
			if len(b) < MinKeyLen {
				return nil, fmt.Errorf("key is %d bytes, needs at least %d", len(b), MinKeyLen)
			}
			return b, nil
		}
	}
	return nil, errors.New("key must be hex or base64")
}

// LoadOrCreate reads a key file, creating it (mode 0600) with a random key when absent: the dev stack's
// key in its data directory.
func LoadOrCreate(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return Parse(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, MinKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

// StatusToken is the secret part of a subject's link to the status page of a request.
func (k Key) StatusToken(requestID string) string { return k.Hash("status", requestID)[:32] }
