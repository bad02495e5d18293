// Package unsubscribe makes and opens the one-click unsubscribe links of marketing mail (RFC 8058,
// "Signaling One-Click Functionality for List Email Headers"): a marketing system puts Headers on each
// message; a mail client's one-click POST to the link becomes a marketing opt-out (the front door's
// POST /privacy/unsubscribe).
//
// The link's token is the recipient's address sealed (AES-256-GCM, authenticated) under the key ring:
// it is signed, so nobody can make one for another address, and the URL carries no address in clear.
package unsubscribe

import (
	"encoding/base64"
	"strings"

	"github.com/dsrflow/dsrflow"
	"github.com/dsrflow/dsrflow/internal/payload"
)

// sealContext binds a token to its use: a value sealed for anything else does not open as a token.
const sealContext = "unsubscribe-link"

// Path is the front door's route for one-click unsubscribes.
const Path = "/privacy/unsubscribe"

// Body is what a mail client posts to the link (RFC 8058 section 3.2), the List-Unsubscribe-Post value.
const Body = "List-Unsubscribe=One-Click"

// Links makes and opens unsubscribe links under PublicURL, the front door's configured base.
type Links struct {
	Keys      *payload.KeyRing
	PublicURL string
}

// URL is the one-click unsubscribe link of email.
func (l Links) URL(email string) (string, error) {
	sealed, err := l.Keys.Seal([]byte(strings.TrimSpace(email)), sealContext)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(l.PublicURL, "/") + Path + "?t=" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Headers are the header fields a marketing message to email carries (RFC 8058 section 3.1): the
// HTTPS link in List-Unsubscribe, and List-Unsubscribe-Post announcing that a POST of Body to it
// unsubscribes. The message must also carry a DKIM signature covering both fields (section 4), which is
// the sending system's to add.
func (l Links) Headers(email string) (map[string]string, error) {
	link, err := l.URL(email)
	if err != nil {
		return nil, err
	}
	return map[string]string{"List-Unsubscribe": "<" + link + ">", "List-Unsubscribe-Post": Body}, nil
}

// Open returns the address a token was made for; EINVALID for a token that is not one of ours (forged,
// altered, or sealed under a key no longer in the ring). The error never echoes the token.
func Open(keys *payload.KeyRing, token string) (string, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || token == "" {
		return "", dsrflow.Errorf(dsrflow.EINVALID, "not an unsubscribe link")
	}
	plain, err := keys.Open(sealed, sealContext)
	if err != nil {
		return "", dsrflow.Errorf(dsrflow.EINVALID, "not an unsubscribe link")
	}
	return string(plain), nil
}
