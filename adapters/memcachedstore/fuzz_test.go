package memcachedstore

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzFastLZ: whatever the input, both levels compress to a stream that
// decompresses to it, and decompressing arbitrary bytes fails cleanly.
func FuzzFastLZ(f *testing.F) {
	for _, in := range compressionInputs()[:40] {
		f.Add(in[:min(len(in), 4096)])
	}
	f.Add([]byte{})
	f.Add([]byte("abc"))
	f.Add(bytes.Repeat([]byte{0}, 300))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, level := range []int{1, 2} {
			enc := fastlzCompressLevel(nil, src, level)
			if len(src) == 0 {
				continue
			}
			dec, err := fastlzDecompress(nil, enc, len(src))
			if err != nil || !bytes.Equal(dec, src) {
				t.Fatalf("level %d: decompress(compress(%q)) = %q, %v", level, src, dec, err)
			}
		}
		// The same bytes as a stream: no panic, and a success is exact.
		if out, err := fastlzDecompress(nil, src, 1000); err == nil && len(out) != 1000 {
			t.Fatalf("decompress(%q) = %d bytes, want 1000", src, len(out))
		}
	})
}

// FuzzDecodeValue: any value and flags decode without panicking, within the
// size limit.
func FuzzDecodeValue(f *testing.F) {
	c := &codec{compression: CompressionFastLZ, threshold: 10, factor: 1.3, maxSize: 1 << 16}
	for _, in := range [][]byte{[]byte("a|i:1;"), bytes.Repeat([]byte("abcdef"), 100)} {
		v, flags := c.encode(in)
		f.Add(v, flags)
	}
	hdr := binary.LittleEndian.AppendUint32(nil, 600)
	f.Add(append(hdr, 0x78, 0x9c, 1, 2), uint32(flagCompressed|flagZlib))
	f.Fuzz(func(t *testing.T, value []byte, flags uint32) {
		out, err := c.decode("k", value, flags)
		if err == nil && len(out) > c.maxSize {
			t.Fatalf("decode gave %d bytes, limit %d", len(out), c.maxSize)
		}
	})
}
