package payload

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"fmt"
	"io"
	"sync"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. Everything else, including the original payload's metadata (its
// encoding, message type), is inside the ciphertext.
const (
	MetadataEncoding = "encoding"
	MetadataKeyID    = "encryption-key-id"
	MetadataCipher   = "encryption-cipher"

	EncodingEncrypted = "binary/encrypted"
	CipherAES256GCM   = "AES256-GCM"
)

// NewCodec returns the codec that encrypts payloads with the ring's active key and decrypts them with
// whichever key of the ring they name. An encrypted payload's data is nonce || AES-256-GCM ciphertext of the
// deflated, proto-marshalled original payload, with the key id as additional data. Payloads that are not
// encrypted decode unchanged, so histories written before encryption stay readable.
func NewCodec(k *KeyRing) converter.PayloadCodec { return &codec{ring: k} }

// DataConverter is the default data converter with every payload passed through the codec: set it as
// client.Options.DataConverter in every worker and client.
func DataConverter(k *KeyRing) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(k))
}

// FailureConverter moves error messages and stack traces into an encrypted payload (the failure's
// EncodedAttributes), leaving "Encoded failure" as the message in the history: set it as
// client.Options.FailureConverter beside DataConverter.
func FailureConverter(k *KeyRing) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          DataConverter(k),
		EncodeCommonAttributes: true,
	})
}

type codec struct{ ring *KeyRing }

func (c *codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		e, err := c.encrypt(p)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (c *codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		d, err := c.decrypt(p)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (c *codec) encrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	plain, err := proto.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encrypt payload: %w", err)
	}
	id := c.ring.active
	aead := c.ring.aeads[id]

	// The buffer is sized for the usual case so the ciphertext is sealed in place after the nonce.
	buf := bytes.NewBuffer(make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead()+64))
	nonce := buf.Bytes()[:aead.NonceSize()]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("encrypt payload: %w", err)
	}
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(buf)
	_, err = w.Write(plain)
	if err == nil {
		err = w.Close()
	}
	flateWriters.Put(w)
	if err != nil {
		return nil, fmt.Errorf("encrypt payload: compress: %w", err)
	}
	b := buf.Bytes()
	data := aead.Seal(b[:aead.NonceSize()], b[:aead.NonceSize()], b[aead.NonceSize():], []byte(id))
	return &commonpb.Payload{
		Metadata: map[string][]byte{
			MetadataEncoding: []byte(EncodingEncrypted),
			MetadataKeyID:    []byte(id),
			MetadataCipher:   []byte(CipherAES256GCM),
		},
		Data: data,
	}, nil
}

func (c *codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	md := p.GetMetadata()
	id := string(md[MetadataKeyID])
	if cipherName := string(md[MetadataCipher]); cipherName != CipherAES256GCM {
		return nil, fmt.Errorf("payload encrypted with cipher %q, want %s", cipherName, CipherAES256GCM)
	}
	aead, ok := c.ring.aeads[id]
	if !ok {
		return nil, fmt.Errorf("payload encrypted with key %q, which DSR_MASTER_KEYS does not hold", id)
	}
	data := p.GetData()
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("payload encrypted with key %q is truncated", id)
	}
	n := aead.NonceSize()
	compressed, err := aead.Open(nil, data[:n], data[n:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("payload encrypted with key %q failed authentication: altered, or encrypted with a different key of that id", id)
	}
	// Only authenticated data, written by a holder of the key, is inflated.
	r := flateReaders.Get().(io.ReadCloser)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(compressed), nil); err != nil {
		flateReaders.Put(r)
		return nil, fmt.Errorf("payload: inflate: %w", err)
	}
	plain, err := io.ReadAll(r)
	flateReaders.Put(r)
	if err != nil {
		return nil, fmt.Errorf("payload encrypted with key %q: decompress: %w", id, err)
	}
	var out commonpb.Payload
	if err := proto.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("payload encrypted with key %q: not a payload: %w", id, err)
	}
	return &out, nil
}

// Flate writers and readers allocate hundreds and tens of KB; workers code many small payloads.
var flateWriters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(nil, flate.DefaultCompression)
	if err != nil {
		panic(err) // only for an invalid level
	}
	return w
}}

var flateReaders = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
