package payload

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func TestCodecHandler(t *testing.T) {
	ring := mustRing(t, "a:"+newKeyText(t))
	srv := httptest.NewServer(CodecHandler(ring))
	defer srv.Close()
	// The SDK's own client of the protocol, as `temporal --codec-endpoint` uses; mounted under a prefix.
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{Endpoint: srv.URL + "/dsr/codec"})

	plain := []*commonpb.Payload{plainPayload(subject{Email: email}), plainPayload(nil)}
	enc, err := remote.Encode(plain)
	if err != nil {
		t.Fatalf("remote encode: %v", err)
	}
	if len(enc) != 2 || string(enc[0].Metadata[MetadataEncoding]) != EncodingEncrypted {
		t.Fatalf("remote encode gave %v", enc)
	}
	if local, err := NewCodec(ring).Decode(enc); err != nil || !proto.Equal(local[0], plain[0]) {
		t.Errorf("local decode of remotely encoded payload: %v, %v", local, err)
	}
	dec, err := remote.Decode(enc)
	if err != nil {
		t.Fatalf("remote decode: %v", err)
	}
	for i := range plain {
		if !proto.Equal(dec[i], plain[i]) {
			t.Errorf("payload %d: remote round trip gave %v, want %v", i, dec[i], plain[i])
		}
	}

	// The UI posts protojson; an unknown key is a client error with the key named.
	foreign, err := NewCodec(mustRing(t, "other:"+newKeyText(t))).Encode(plain[:1])
	if err != nil {
		t.Fatal(err)
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: foreign})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/decode", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("decode with an unknown key: status %d, want 400", resp.StatusCode)
	}
	if _, err := remote.Decode(foreign); err == nil || !strings.Contains(err.Error(), `key "other"`) {
		t.Errorf("remote decode with an unknown key: %v", err)
	}

	for _, tc := range []struct{ method, path string }{{"GET", "/decode"}, {"POST", "/other"}} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(`{"payloads":[]}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", tc.method, tc.path, resp.StatusCode)
		}
	}

	huge := strings.NewReader(`{"payloads":[{"data":"` + strings.Repeat("A", MaxCodecRequestBytes) + `"}]}`)
	resp, err = http.Post(srv.URL+"/decode", "application/json", huge)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("a body over MaxCodecRequestBytes was accepted")
	}
}
