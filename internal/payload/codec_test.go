package payload

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const email = "jane.doe@example.com"

type subject struct {
	Email   string
	Name    string
	Systems []string
}

// plainPayload is what the default converter writes for v: the form histories held before encryption.
func plainPayload(v any) *commonpb.Payload {
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		panic(err)
	}
	return p
}

func TestDataConverterRoundTrip(t *testing.T) {
	dc := DataConverter(mustRing(t, "a:"+newKeyText(t)))
	for name, tc := range map[string]struct {
		in  any
		out any // pointer to the zero value decoded into
	}{
		"string":     {email, new(string)},
		"struct":     {subject{Email: email, Name: "Jane Doe", Systems: []string{"crm"}}, new(subject)},
		"pointer":    {&subject{Email: email}, new(*subject)},
		"nil":        {nil, new(*subject)},
		"bytes":      {[]byte(email), new([]byte)},
		"empty":      {[]byte{}, new([]byte)},
		"int":        {42, new(int)},
		"map":        {map[string]string{"email": email}, new(map[string]string)},
		"proto":      {&commonpb.WorkflowExecution{WorkflowId: email}, new(*commonpb.WorkflowExecution)},
		"error text": {errors.New(email).Error(), new(string)},
	} {
		p, err := dc.ToPayload(tc.in)
		if err != nil {
			t.Fatalf("%s: ToPayload: %v", name, err)
		}
		if got := string(p.Metadata[MetadataEncoding]); got != EncodingEncrypted {
			t.Errorf("%s: payload encoding %q, want %s", name, got, EncodingEncrypted)
		}
		if err := dc.FromPayload(p, tc.out); err != nil {
			t.Fatalf("%s: FromPayload: %v", name, err)
		}
		got := reflect.ValueOf(tc.out).Elem().Interface()
		want := tc.in
		if want == nil {
			want = (*subject)(nil)
		}
		if m, ok := want.(proto.Message); ok {
			if !proto.Equal(m, got.(proto.Message)) {
				t.Errorf("%s: round trip gave %v, want %v", name, got, want)
			}
			continue
		}
		if b, ok := want.([]byte); ok {
			// Proto drops empty bytes, so a history gives back nil for []byte{} with or without the codec.
			if !bytes.Equal(got.([]byte), b) {
				t.Errorf("%s: round trip gave %q, want %q", name, got, want)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: round trip gave %#v, want %#v", name, got, want)
		}
	}

	// Several values in one Payloads, as workflow and activity arguments are sent.
	ps, err := dc.ToPayloads("dsr_1", subject{Email: email}, nil, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		id    string
		s     subject
		none  *subject
		bytes []byte
	)
	if err := dc.FromPayloads(ps, &id, &s, &none, &bytes); err != nil {
		t.Fatal(err)
	}
	if id != "dsr_1" || s.Email != email || none != nil || string(bytes) != "x" {
		t.Errorf("arguments round trip gave %q %+v %v %q", id, s, none, bytes)
	}
}

// base64Forms returns the parts of secret's base64 encodings that appear whatever its offset in a larger
// encoded blob.
func base64Forms(secret string) []string {
	var forms []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for off := 0; off < 3; off++ {
			s := enc.EncodeToString(append(make([]byte, off), secret...))
			skip := 0
			if off > 0 {
				skip = 4
			}
			forms = append(forms, s[skip:len(s)-4])
		}
	}
	return forms
}

func TestCiphertextHidesPlaintext(t *testing.T) {
	dc := DataConverter(mustRing(t, "a:"+newKeyText(t)))
	p, err := dc.ToPayload(subject{Email: email, Name: "Jane Doe"})
	if err != nil {
		t.Fatal(err)
	}
	wire, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	asJSON, err := protojson.Marshal(p) // how the UI and `temporal workflow show` see it
	if err != nil {
		t.Fatal(err)
	}
	for _, blob := range []string{string(wire), string(asJSON)} {
		for _, form := range append([]string{email, "jane.doe", "Jane Doe"}, base64Forms(email)...) {
			if strings.Contains(blob, form) {
				t.Errorf("encrypted payload holds %q", form)
			}
		}
		if strings.Contains(blob, "json/plain") {
			t.Error("encrypted payload shows the original encoding")
		}
	}
	// Compression comes before encryption: inflating the stored bytes must not give the text back.
	for _, data := range [][]byte{p.Data, p.Data[12:]} {
		out, err := io.ReadAll(flate.NewReader(bytes.NewReader(data)))
		if err == nil || bytes.Contains(out, []byte(email)) {
			t.Errorf("inflating the ciphertext without the key: error %v, email found %v", err, bytes.Contains(out, []byte(email)))
		}
	}

	again, err := dc.ToPayload(subject{Email: email, Name: "Jane Doe"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again.Data, p.Data) {
		t.Error("the same value encrypted twice gave the same bytes: nonce reused")
	}
}

func TestRotation(t *testing.T) {
	a, b := newKeyText(t), newKeyText(t)
	old := DataConverter(mustRing(t, "a:"+a))
	rotated := DataConverter(mustRing(t, "b:"+b+",a:"+a))

	p, err := old.ToPayload(email)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := rotated.FromPayload(p, &got); err != nil || got != email {
		t.Fatalf("rotated ring reading an old payload: %q, %v", got, err)
	}
	p, err = rotated.ToPayload(email)
	if err != nil {
		t.Fatal(err)
	}
	if id := string(p.Metadata[MetadataKeyID]); id != "b" {
		t.Errorf("rotated ring encrypted with key %q, want the active key b", id)
	}
	err = old.FromPayload(p, &got)
	if err == nil {
		t.Fatal("a ring without key b decoded a payload encrypted with b")
	}
	if want := `payload encrypted with key "b", which DSR_MASTER_KEYS does not hold`; !strings.Contains(err.Error(), want) {
		t.Errorf("unknown key error %q, want it to say %q", err, want)
	}
}

func TestTamperedPayloadFails(t *testing.T) {
	a := newKeyText(t)
	ring := mustRing(t, "a:"+a+",b:"+newKeyText(t))
	c := NewCodec(ring)
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(subject{Email: email})})
	if err != nil {
		t.Fatal(err)
	}
	orig := enc[0]
	if _, err := c.Decode([]*commonpb.Payload{orig}); err != nil {
		t.Fatalf("untouched payload: %v", err)
	}
	for i := range orig.Data {
		p := proto.Clone(orig).(*commonpb.Payload)
		p.Data[i] ^= 0x01
		if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
			t.Fatalf("payload with byte %d of %d flipped decoded", i, len(orig.Data))
		}
	}
	for name, change := range map[string]func(p *commonpb.Payload){
		"other key id":   func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("b") },
		"other cipher":   func(p *commonpb.Payload) { p.Metadata[MetadataCipher] = []byte("AES128-GCM") },
		"no key id":      func(p *commonpb.Payload) { delete(p.Metadata, MetadataKeyID) },
		"truncated":      func(p *commonpb.Payload) { p.Data = p.Data[:len(p.Data)-1] },
		"nonce only":     func(p *commonpb.Payload) { p.Data = p.Data[:12] },
		"empty":          func(p *commonpb.Payload) { p.Data = nil },
		"appended bytes": func(p *commonpb.Payload) { p.Data = append(p.Data, 0) },
	} {
		p := proto.Clone(orig).(*commonpb.Payload)
		change(p)
		if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	// The same key under another id is still refused: the id is authenticated data.
	renamed := mustRing(t, "z:"+a)
	p := proto.Clone(orig).(*commonpb.Payload)
	p.Metadata[MetadataKeyID] = []byte("z")
	if _, err := NewCodec(renamed).Decode([]*commonpb.Payload{p}); err == nil {
		t.Error("payload relabelled with another id of the same key decoded")
	}
}

func TestUnencryptedPayloadPassesThrough(t *testing.T) {
	ring := mustRing(t, "a:"+newKeyText(t))
	plain := []*commonpb.Payload{plainPayload(email), plainPayload(nil), {Data: []byte("no metadata")}}
	out, err := NewCodec(ring).Decode(plain)
	if err != nil {
		t.Fatal(err)
	}
	for i := range plain {
		if !proto.Equal(out[i], plain[i]) {
			t.Errorf("payload %d changed: %v, was %v", i, out[i], plain[i])
		}
	}
	var got string
	if err := DataConverter(ring).FromPayload(plain[0], &got); err != nil || got != email {
		t.Errorf("reading a payload written before encryption: %q, %v", got, err)
	}
}

func TestEncodeDoesNotMutateInput(t *testing.T) {
	in := plainPayload(email)
	before := proto.Clone(in)
	if _, err := NewCodec(mustRing(t, "a:"+newKeyText(t))).Encode([]*commonpb.Payload{in}); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(in, before) {
		t.Error("Encode changed its argument")
	}
}

func TestFailureConverterHidesMessages(t *testing.T) {
	ring := mustRing(t, "a:"+newKeyText(t))
	fc := FailureConverter(ring)
	cause := errors.New("smtp: mailbox " + email + " unknown")
	f := fc.ErrorToFailure(temporal.NewApplicationErrorWithCause("verification mail to "+email+" bounced", "MailBounced", cause, email))

	wire, err := proto.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	asJSON, err := protojson.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, blob := range []string{string(wire), string(asJSON)} {
		for _, form := range append([]string{email, "jane.doe"}, base64Forms(email)...) {
			if strings.Contains(blob, form) {
				t.Errorf("encoded failure holds %q", form)
			}
		}
	}
	if f.GetMessage() != "Encoded failure" || f.GetStackTrace() != "" {
		t.Errorf("failure message %q, stack %q left in clear", f.GetMessage(), f.GetStackTrace())
	}
	if enc := string(f.GetEncodedAttributes().GetMetadata()[MetadataEncoding]); enc != EncodingEncrypted {
		t.Errorf("encoded attributes have encoding %q, want %s", enc, EncodingEncrypted)
	}
	if f.GetCause().GetMessage() != "Encoded failure" {
		t.Errorf("cause message %q left in clear", f.GetCause().GetMessage())
	}

	stored := proto.Clone(f).(*failurepb.Failure) // FailureToError writes the decoded message into its argument
	back := fc.FailureToError(f)
	var appErr *temporal.ApplicationError
	if !errors.As(back, &appErr) {
		t.Fatalf("decoded failure %T, want *temporal.ApplicationError", back)
	}
	if appErr.Type() != "MailBounced" || !strings.Contains(appErr.Error(), "verification mail to "+email+" bounced") {
		t.Errorf("decoded error %q type %q", appErr.Error(), appErr.Type())
	}
	if !strings.Contains(back.Error(), "smtp: mailbox "+email) {
		t.Errorf("decoded error %q lost its cause", back)
	}
	var detail string
	if err := appErr.Details(&detail); err != nil || detail != email {
		t.Errorf("details: %q, %v", detail, err)
	}

	// A process without the key sees the placeholder, not a crash.
	other := FailureConverter(mustRing(t, "x:"+newKeyText(t))).FailureToError(stored)
	if other == nil || strings.Contains(other.Error(), email) || !strings.Contains(other.Error(), "Encoded failure") {
		t.Errorf("failure decoded without the key: %v", other)
	}
}

func TestCodecConcurrentUse(t *testing.T) {
	dc := DataConverter(mustRing(t, "a:"+newKeyText(t)))
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				want := strings.Repeat(email, i)
				p, err := dc.ToPayload(want)
				var got string
				if err == nil {
					err = dc.FromPayload(p, &got)
				}
				if err == nil && got != want {
					err = errors.New("round trip changed the value")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
