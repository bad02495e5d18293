package connectors

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow"
)

// A callback is the one place where a connector's bytes reach dsrflow unprompted, from anyone who can
// reach the front door. Everything that can be checked without the body is checked first (the
// connector, the signature headers, the timestamp window, the declared length), so a post that fails
// those is answered without reading a byte of it. The body is then streamed through the HMAC into a
// temporary file, encrypted under a key that exists only in memory, and only a body whose signature
// holds is read back and decoded: memory holds at most a copy buffer per callback whatever is posted,
// and the disk never holds a subject's records in clear.

// Callback is a connector's callback whose headers were checked; Read reads and verifies its body.
type Callback struct {
	Connector Connector
	secret    []byte
	r         *http.Request
	timestamp string
	macs      [][]byte // the signature header's v1 values
}

// PrepareCallback checks what a callback says before its body: the connector exists and speaks
// protocol v1 (Speaker; other kinds never call back), the signature
// headers are present and well formed, the timestamp is within the window, and a declared length is
// within MaxResultBytes. It reads nothing of the body. Errors are *dsrflow.Error: ENOTFOUND (unknown
// connector), EUNAUTHORIZED (ErrMissingSignature, ErrStaleTimestamp, ErrBadSignature) and
// ErrBodyTooLarge.
func PrepareCallback(r *http.Request, reg *Registry, connectorID string, now time.Time) (*Callback, error) {
	conn, ok := reg.Get(connectorID)
	if !ok {
		return nil, dsrflow.Errorf(dsrflow.ENOTFOUND, "unknown connector")
	}
	ep, ok := conn.Endpoint()
	if !ok || len(ep.Secret) == 0 {
		return nil, dsrflow.Errorf(dsrflow.ENOTFOUND, "unknown connector")
	}
	ts, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return nil, ErrMissingSignature
	}
	if err := checkWindow(ts, now); err != nil {
		return nil, err
	}
	var macs [][]byte
	for part := range strings.SplitSeq(sig, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		if m, err := hex.DecodeString(v); err == nil && len(m) == sha256.Size {
			macs = append(macs, m)
		}
	}
	if len(macs) == 0 {
		return nil, ErrBadSignature
	}
	if r.ContentLength > MaxResultBytes {
		return nil, ErrBodyTooLarge
	}
	return &Callback{Connector: conn, secret: ep.Secret, r: r, timestamp: ts, macs: macs}, nil
}

// checkWindow checks a timestamp header against the window around now.
func checkWindow(timestamp string, now time.Time) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	skew := now.Unix() - ts
	if skew < 0 {
		skew = -skew
	}
	if skew > int64(SignatureWindow/time.Second) {
		return ErrStaleTimestamp
	}
	return nil
}

// Read streams the body through the signature check and decodes the result. The result must be a final
// one for a job of this connector. Errors: ErrBodyTooLarge (over MaxResultBytes, found while
// streaming), ErrBadSignature, EFORBIDDEN (another connector's job), EINVALID (not a final result).
func (c *Callback) Read() (Result, error) {
	spool, err := newSpool()
	if err != nil {
		return Result{}, err
	}
	defer spool.Close()
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte(c.timestamp))
	m.Write([]byte{'.'})
	if c.r.Body != nil {
		n, err := io.Copy(io.MultiWriter(m, spool), io.LimitReader(c.r.Body, MaxResultBytes+1))
		if err != nil {
			return Result{}, dsrflow.Errorf(dsrflow.EINVALID, "cannot read body")
		}
		if n > MaxResultBytes {
			return Result{}, ErrBodyTooLarge
		}
	}
	if !anyEqual(m, c.macs) {
		return Result{}, ErrBadSignature
	}
	body, err := spool.Reader()
	if err != nil {
		return Result{}, err
	}
	var res Result
	dec := json.NewDecoder(body)
	if err := dec.Decode(&res); err != nil {
		return Result{}, dsrflow.Errorf(dsrflow.EINVALID, "callback body is not a result")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Result{}, dsrflow.Errorf(dsrflow.EINVALID, "callback body is not a result")
	}
	if _, owner, _, ok := ParseJobID(res.JobID); !ok || owner != c.Connector.ID {
		return Result{}, dsrflow.Errorf(dsrflow.EFORBIDDEN, "callback for a job of another connector")
	}
	if err := res.Validate(res.JobID); err != nil {
		return Result{}, err
	}
	return res, nil
}

func anyEqual(m hash.Hash, macs [][]byte) bool {
	sum := m.Sum(nil)
	for _, want := range macs {
		if hmac.Equal(sum, want) {
			return true
		}
	}
	return false
}

// ReadCallback reads a connector's callback: the final Result of a job it answered 202 to, signed with
// that connector's secret (PrepareCallback, then Read). The front door mounts it at
// POST /connectors/v1/callbacks/{connector}, with a bound on the bodies read at once between the two.
func ReadCallback(r *http.Request, reg *Registry, connectorID string, now time.Time) (Result, error) {
	cb, err := PrepareCallback(r, reg, connectorID, now)
	if err != nil {
		return Result{}, err
	}
	return cb.Read()
}

// spool is an unlinked temporary file written through AES-CTR under a random key held only here: a
// body waits in it for its signature to be checked without taking memory, and without leaving readable
// personal data on disk, even if the process dies.
type spool struct {
	f   *os.File
	key []byte
	iv  []byte
	w   io.Writer
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "dsrflow-callback-*")
	if err != nil {
		return nil, fmt.Errorf("callback spool: %w", err)
	}
	// Unlinked at once: the open descriptor is all that reaches it.
	_ = os.Remove(f.Name())
	s := &spool{f: f, key: make([]byte, 32), iv: make([]byte, aes.BlockSize)}
	_, _ = rand.Read(s.key)
	_, _ = rand.Read(s.iv)
	stream, err := s.stream()
	if err != nil {
		f.Close()
		return nil, err
	}
	s.w = cipher.StreamWriter{S: stream, W: f}
	return s, nil
}

func (s *spool) stream() (cipher.Stream, error) {
	block, err := aes.NewCipher(s.key)
	if err != nil {
		return nil, fmt.Errorf("callback spool: %w", err)
	}
	return cipher.NewCTR(block, s.iv), nil
}

func (s *spool) Write(p []byte) (int, error) { return s.w.Write(p) }

// Reader reads back what was written, decrypted.
func (s *spool) Reader() (io.Reader, error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("callback spool: %w", err)
	}
	stream, err := s.stream()
	if err != nil {
		return nil, err
	}
	return cipher.StreamReader{S: stream, R: bufio.NewReaderSize(s.f, 64<<10)}, nil
}

func (s *spool) Close() error {
	clear(s.key)
	return s.f.Close()
}
