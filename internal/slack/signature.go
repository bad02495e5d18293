package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureWindow is how far a request's timestamp may be from now: older requests are replays.
const SignatureWindow = 5 * time.Minute

// Errors of Verify.
var (
	ErrUnsigned     = errors.New("slack request: no X-Slack-Signature or X-Slack-Request-Timestamp")
	ErrBadSignature = errors.New("slack request: signature does not match")
	ErrStale        = errors.New("slack request: timestamp outside the 5-minute window")
)

// Verify checks Slack's signature of a request (v0): X-Slack-Signature must be "v0=" and the hex
// HMAC-SHA256, keyed with the signing secret, of "v0:" + X-Slack-Request-Timestamp + ":" + the raw body,
// and the timestamp within SignatureWindow of now.
func Verify(h http.Header, body []byte, secret string, now time.Time) error {
	if secret == "" {
		return errors.New("slack request: no signing secret configured")
	}
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return ErrUnsigned
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp is not a number", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SignatureWindow || d < -SignatureWindow {
		return ErrStale
	}
	got, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return fmt.Errorf("%w: not a v0 signature", ErrBadSignature)
	}
	want, err := hex.DecodeString(got)
	if err != nil {
		return fmt.Errorf("%w: not hex", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), want) {
		return ErrBadSignature
	}
	return nil
}
