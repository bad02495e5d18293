package payload

import (
	"encoding/json"
	"fmt"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
)

// BenchmarkCodec measures one 2 KB JSON payload, about the size of a request with its subject and systems.
func BenchmarkCodec(b *testing.B) {
	type system struct{ ID, Status, Note string }
	var v struct {
		Email   string
		Systems []system
	}
	v.Email = email
	for i := 0; len(mustJSON(v)) < 2048; i++ {
		v.Systems = append(v.Systems, system{fmt.Sprintf("connector-%d", i), "erased", fmt.Sprintf("ticket %d closed", i*7919)})
	}
	p := plainPayload(v)
	c := NewCodec(mustRing(b, "a:"+newKeyText(b)))
	in := []*commonpb.Payload{p}
	enc, err := c.Encode(in)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("payload %d bytes, encrypted %d bytes", len(p.Data), len(enc[0].Data))

	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(p.Data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Encode(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(p.Data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Decode(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
