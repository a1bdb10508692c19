//go:build unix

package phpsession

import "testing"

// BenchmarkIgbinarySessionEncode encodes the igbinary inputs of
// TestBenchPHP (the igbinary vectors and the 100KB session written with
// igbinary) as TestBenchPHP does: each decoded, every value set again, and
// the session encoded whole.
func BenchmarkIgbinarySessionEncode(b *testing.B) {
	for _, c := range benchIgbinaryCases(b) {
		s, err := DecodeSession(c.data, FormatIgbinary)
		if err != nil {
			b.Fatal(err)
		}
		igTouchAll(b, s)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			buf := make([]byte, 0, len(c.data))
			for b.Loop() {
				var err error
				if buf, err = s.AppendEncode(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
