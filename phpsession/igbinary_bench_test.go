package phpsession

import (
	"testing"

	"github.com/sessbridge/sessbridge/internal/vectors"
)

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
			if _, err := DecodeSession(payload, FormatIgbinary); err != nil {
				b.Error(err)
			}
		}
	})
}

// benchIgbinarySession returns benchSession's session of about size bytes
// in the php format, encoded with igbinary (about two thirds as long).
func benchIgbinarySession(tb testing.TB, size int) []byte {
	tb.Helper()
	php, err := DecodeSession(benchSession(tb, size), FormatPHP)
	if err != nil {
		tb.Fatal(err)
	}
	ig := NewSession(FormatIgbinary)
	for _, name := range php.Names() {
		v, _ := php.Get(name)
		if err := ig.Set(name, v); err != nil {
			tb.Fatal(err)
		}
	}
	data, err := ig.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkIgbinarySession decodes every igbinary session vector with
// DecodeSession and reads every entry (full decode), and encodes it whole
// after a change.
func BenchmarkIgbinarySession(b *testing.B) {
	vs := vectors.MustLoad(b)
	vs = append(vs, vectors.Session{Handler: "igbinary", Adapter: "stream", Scenario: "100KB", Payload: benchIgbinarySession(b, 100<<10)})
	for _, v := range vs {
		if v.Handler != "igbinary" || v.Adapter != "stream" {
			continue
		}
		b.Run("Decode/"+v.Scenario, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v.Payload)))
			for b.Loop() {
				s, err := DecodeSession(v.Payload, FormatIgbinary)
				if err != nil {
					b.Fatal(err)
				}
				for _, name := range s.Names() {
					s.Get(name)
				}
			}
		})
		d, err := DecodeSession(v.Payload, FormatIgbinary)
		if err != nil {
			b.Fatal(err)
		}
		if names := d.Names(); len(names) > 0 {
			// The common request: one name read (the middle one).
			name := names[len(names)/2]
			b.Run("Get/"+v.Scenario, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(v.Payload)))
				for b.Loop() {
					s, err := DecodeSession(v.Payload, FormatIgbinary)
					if err != nil {
						b.Fatal(err)
					}
					if _, ok := s.Get(name); !ok {
						b.Fatalf("no %q", name)
					}
				}
			})
		}
		// A changed igbinary session is encoded whole: one more name
		// changes it (Set takes references by the slots of a decoded
		// payload, so values holding them are not set again).
		s := d.Clone()
		if err := s.Set("_bench", IntValue(1)); err != nil {
			b.Fatal(err)
		}
		b.Run("Encode/"+v.Scenario, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v.Payload)))
			buf := make([]byte, 0, len(v.Payload))
			for b.Loop() {
				var err error
				if buf, err = s.AppendEncode(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
