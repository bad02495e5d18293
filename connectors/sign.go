package connectors

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// Signature headers of protocol v1 (PROTOCOL.md, "Signing").
const (
	HeaderTimestamp = "Dsrflow-Timestamp"
	HeaderSignature = "Dsrflow-Signature"
	// SignatureWindow is how far a request's timestamp may be from the receiver's clock, either way.
	SignatureWindow = 5 * time.Minute
)

// Body limits of protocol v1: a job is small; an access answer may carry much data.
const (
	MaxJobBytes    = 1 << 20  // request bodies: jobs
	MaxResultBytes = 32 << 20 // answer bodies and callbacks: results
)

// Verification failures. They are *dsrflow.Error with code EUNAUTHORIZED, so the front door answers 401.
var (
	ErrMissingSignature = dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "missing %s or %s header", HeaderTimestamp, HeaderSignature)
	ErrBadSignature     = dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "bad signature")
	ErrStaleTimestamp   = dsrflow.Errorf(dsrflow.EUNAUTHORIZED, "timestamp outside the %s window", SignatureWindow)
)

// Sign returns the header values that sign body with secret at now:
// timestamp is unix seconds, signature is "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
func Sign(secret, body []byte, now time.Time) (timestamp, signature string) {
	timestamp = strconv.FormatInt(now.Unix(), 10)
	return timestamp, "v1=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature made by Sign. The signature header may hold several comma-separated
// "v1=" values (a sender rotating secrets); one match is enough. It returns ErrMissingSignature,
// ErrStaleTimestamp or ErrBadSignature.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time) error {
	if timestamp == "" || signature == "" {
		return ErrMissingSignature
	}
	if err := checkWindow(timestamp, now); err != nil {
		return err
	}
	want := mac(secret, timestamp, body)
	for part := range strings.SplitSeq(signature, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(v)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// SignRequest sets the signature headers of req for body (nil for a GET).
func SignRequest(req *http.Request, secret, body []byte, now time.Time) {
	ts, sig := Sign(secret, body, now)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sig)
}

// ErrBodyTooLarge is returned by ReadSigned for a body over its limit (HTTP 413).
var ErrBodyTooLarge = dsrflow.Errorf(dsrflow.EINVALID, "body too large")

// ReadSigned reads r's body, at most limit bytes, and verifies its signature with secret. It returns
// ErrBodyTooLarge or one of Verify's errors; the body is only returned when the signature is good.
func ReadSigned(r *http.Request, secret []byte, limit int64, now time.Time) ([]byte, error) {
	ts, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return nil, ErrMissingSignature
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			return nil, dsrflow.Errorf(dsrflow.EINVALID, "cannot read body")
		}
		if int64(len(body)) > limit {
			return nil, ErrBodyTooLarge
		}
	}
	if err := Verify(secret, ts, sig, body, now); err != nil {
		return nil, err
	}
	return body, nil
}

// RequireSignature is middleware for a receiver of signed requests: it reads the body (at most limit
// bytes), answers 401 for a missing or bad signature or a stale timestamp and 413 for a body over the
// limit, and otherwise calls next with the body restored. now may be nil for time.Now.
func RequireSignature(secret []byte, limit int64, now func() time.Time, next http.Handler) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadSigned(r, secret, limit, now())
		if err != nil {
			WriteError(w, SignatureStatus(err), dsrflow.ErrorMessage(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// SignatureStatus maps a ReadSigned error to its HTTP status.
func SignatureStatus(err error) int {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case dsrflow.ErrorCode(err) == dsrflow.EUNAUTHORIZED:
		return http.StatusUnauthorized
	default:
		return http.StatusBadRequest
	}
}
