package payload

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// Seal encrypts data at rest (the export bundles) with the active key. The result names its key, so a
// rotated ring still opens it; context binds it to its place (e.g. "export:dsr_…"): a sealed blob
// copied to another request does not open there.
//
// Format: 1 byte key id length, the key id, the nonce, the ciphertext.
func (k *KeyRing) Seal(data []byte, context string) ([]byte, error) {
	id := k.active
	aead := k.aeads[id]
	out := make([]byte, 0, 1+len(id)+aead.NonceSize()+len(data)+aead.Overhead())
	out = append(out, byte(len(id)))
	out = append(out, id...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, data, []byte(id+"\x00"+context)), nil
}

// Open decrypts what Seal wrote for the same context.
func (k *KeyRing) Open(sealed []byte, context string) ([]byte, error) {
	if len(sealed) < 1 || len(sealed) < 1+int(sealed[0]) {
		return nil, errors.New("sealed data is truncated")
	}
	id := string(sealed[1 : 1+int(sealed[0])])
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("data sealed with key %q, which DSR_MASTER_KEYS does not hold", id)
	}
	rest := sealed[1+len(id):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("sealed data is truncated")
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(id+"\x00"+context))
	if err != nil {
		return nil, errors.New("sealed data does not authenticate: wrong key, wrong context or tampered")
	}
	return plain, nil
}
