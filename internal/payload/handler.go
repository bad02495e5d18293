package payload

import (
	"net/http"

	"go.temporal.io/sdk/converter"
)

// MaxCodecRequestBytes bounds a codec request body: a page of history the UI decodes at once.
const MaxCodecRequestBytes = 8 << 20

// CodecHandler serves Temporal's remote codec protocol, for the Temporal UI (its "codec endpoint") and
// `temporal --codec-endpoint`: POST .../encode and POST .../decode, each taking and returning JSON
// {"payloads":[...]}; other methods and paths are 404. It may be mounted under any prefix.
//
// It decrypts whatever it is sent, so it must only be reachable by people allowed to read personal data:
// authentication, authorisation and CORS (the UI calls it from the browser) are the caller's to wrap
// around it. Bodies over MaxCodecRequestBytes are refused.
func CodecHandler(k *KeyRing) http.Handler {
	return http.MaxBytesHandler(converter.NewPayloadCodecHTTPHandler(NewCodec(k)), MaxCodecRequestBytes)
}
