// Package payload encrypts every Temporal payload dsrflow writes (workflow and activity inputs and results,
// signals, queries, updates, memos, heartbeat details, and error messages and stack traces), so event
// histories hold no personal data in clear. Workflow ids and search attributes are not payloads: they are
// kept free of personal data by the code that chooses them.
package payload

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeyLen is the length of an AES-256 key, in bytes.
const KeyLen = 32

// maxIDLen bounds a key id; ids are written into every payload's metadata.
const maxIDLen = 32

// KeyRing holds the keys payloads are encrypted with: one active key that encodes, and older keys that
// still decode what they once encoded, so keys can be rotated without losing running histories.
type KeyRing struct {
	active string
	ids    []string // in the order given, the active one first
	aeads  map[string]cipher.AEAD
}

// ParseKeyRing reads a key ring spec, as held in DSR_MASTER_KEYS: comma-separated "id:base64key" entries,
// each key 32 bytes in standard or URL base64 (padded or not). The first entry is the active key. Ids are
// 1 to 32 characters of [a-z0-9-] and unique. Errors name entries by position and valid id, never by text
// that might be key material.
func ParseKeyRing(spec string) (*KeyRing, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("key ring is empty: want id:base64key[,id:base64key...]")
	}
	k := &KeyRing{aeads: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(spec, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("key ring entry %d is empty: want id:base64key", n)
		}
		id, text, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("key ring entry %d has no id: want id:base64key", n)
		}
		id, text = strings.TrimSpace(id), strings.TrimSpace(text)
		if !validID(id) {
			// The id is not echoed: a spec written the wrong way round would print the key.
			return nil, fmt.Errorf("key ring entry %d: id must be 1 to %d characters of a-z, 0-9 and -", n, maxIDLen)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("key ring entry %d: id %q appears twice", n, id)
		}
		key, err := decodeKey(text)
		if err != nil {
			return nil, fmt.Errorf("key ring entry %d (id %q): %w", n, id, err)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, fmt.Errorf("key ring entry %d (id %q): %w", n, id, err)
		}
		k.aeads[id] = aead
		k.ids = append(k.ids, id)
	}
	k.active = k.ids[0]
	return k, nil
}

// LoadOrCreateKeyRing reads a key ring spec from a file, creating the file (mode 0600) with one random key,
// id "dev-1", when absent: the dev stack's ring in its data directory. Production reads DSR_MASTER_KEYS.
func LoadOrCreateKeyRing(path string) (*KeyRing, error) {
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			k, err := ParseKeyRing(strings.TrimSpace(string(b)))
			if err != nil {
				return nil, fmt.Errorf("key ring file %s: %w", path, err)
			}
			return k, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		key := make([]byte, KeyLen)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		spec := "dev-1:" + base64.StdEncoding.EncodeToString(key)
		// O_EXCL: when two processes start at once, the loser reads the winner's ring instead of replacing
		// the key the winner may already have encrypted with.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		_, werr := f.WriteString(spec + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, werr
		}
		return ParseKeyRing(spec)
	}
}

// ActiveID is the id of the key new payloads are encrypted with.
func (k *KeyRing) ActiveID() string { return k.active }

// String names the keys, never their material, so a ring that ends up in a log or %v is harmless.
func (k *KeyRing) String() string {
	return fmt.Sprintf("KeyRing(active %s, keys %s)", k.active, strings.Join(k.ids, ","))
}

// GoString keeps %#v from printing the keys too.
func (k *KeyRing) GoString() string { return k.String() }

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// decodeKey accepts standard and URL base64, padded or not. Decoder errors are dropped: they quote offsets
// and characters of the key.
func decodeKey(text string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(text); err == nil {
			if len(b) != KeyLen {
				return nil, fmt.Errorf("key is %d bytes, want %d (AES-256)", len(b), KeyLen)
			}
			return b, nil
		}
	}
	return nil, errors.New("key is not valid base64")
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
