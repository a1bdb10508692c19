package phpsession

import (
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
)

// BenchmarkIgbinary decodes and encodes every igbinary session vector.
func BenchmarkIgbinary(b *testing.B) {
	for _, v := range vectors.MustLoad(b) {
		if v.Handler != "igbinary" || v.Adapter != "stream" {
			continue
		}
		val, err := decodeIgbinary(v.Payload, limits{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("Decode/"+v.Scenario, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v.Payload)))
			for b.Loop() {
				if _, err := decodeIgbinary(v.Payload, limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Encode/"+v.Scenario, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v.Payload)))
			buf := make([]byte, 0, len(v.Payload))
			for b.Loop() {
				var err error
				if buf, err = appendIgbinary(buf[:0], val); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIgbinaryDecodeParallel decodes the objects vector on every
// core.
func BenchmarkIgbinaryDecodeParallel(b *testing.B) {
	var payload []byte
	for _, v := range vectors.MustLoad(b) {
		if v.Handler == "igbinary" && v.Scenario == "objects" {
			payload = v.Payload
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := decodeIgbinary(payload, limits{}); err != nil {
				b.Error(err)
			}
		}
	})
}
