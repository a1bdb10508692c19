package memcachedstore

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/klauspost/compress/zstd"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// compressionInputs are payloads that exercise every FastLZ path: short and
// long literal runs, byte runs, matches longer than 264 bytes, far matches
// (level 2), both levels (below and above 64 KiB), incompressible data and
// the 2000-byte threshold and 1.3 factor edges.
func compressionInputs() [][]byte {
	r := rand.New(rand.NewPCG(7, 11))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	text := func(n int, words int) []byte {
		vocab := make([]string, words)
		for i := range vocab {
			vocab[i] = fmt.Sprintf("k%x|s:%d:\"%s\";", r.IntN(1<<20), i, strings.Repeat(string(rune('a'+i%26)), 1+i%9))
		}
		var b bytes.Buffer
		for b.Len() < n {
			b.WriteString(vocab[r.IntN(len(vocab))])
		}
		return b.Bytes()[:n]
	}
	var in [][]byte
	for _, n := range []int{1999, 2000, 2001, 2600, 4000, 9000, 30000, 65535, 65536, 70000, 140000} {
		in = append(in, text(n, 40), text(n, 2000), random(n))
	}
	for _, n := range []int{2000, 3000, 8191, 8192, 8193, 70000, 100000} {
		in = append(in, bytes.Repeat([]byte{'x'}, n))
		in = append(in, bytes.Repeat([]byte("ab"), n/2))
		in = append(in, bytes.Repeat([]byte("abc"), n/3))
	}
	// Blocks repeated at distances around 8191 and far beyond.
	for _, d := range []int{8000, 8190, 8191, 8192, 8200, 20000, 60000, 73000} {
		blk := random(d)
		for _, n := range []int{d + 600, 2*d + 10} {
			b := append([]byte{}, blk...)
			for len(b) < n {
				b = append(b, blk[:min(len(blk), n-len(b))]...)
			}
			in = append(in, b)
		}
	}
	// Random mixtures of runs, literals and copies.
	for range 24 {
		n := 2000 + r.IntN(90000)
		var b []byte
		for len(b) < n {
			switch r.IntN(4) {
			case 0:
				b = append(b, random(1+r.IntN(80))...)
			case 1:
				b = append(b, bytes.Repeat([]byte{byte(r.IntN(4))}, 1+r.IntN(600))...)
			default:
				if len(b) > 0 {
					from := r.IntN(len(b))
					l := 1 + r.IntN(min(700, len(b)-from))
					b = append(b, b[from:from+l]...)
				}
			}
		}
		in = append(in, b[:n])
	}
	// Near the factor: compressible head, random tail.
	for _, tail := range []int{1000, 1400, 1500, 1540, 1560, 1600} {
		in = append(in, append(bytes.Repeat([]byte("z"), 3000-tail), random(tail)...))
	}
	return in
}

func TestFastLZRoundTrip(t *testing.T) {
	t.Parallel()
	for i, src := range compressionInputs() {
		for _, level := range []int{1, 2} {
			enc := fastlzCompressLevel(nil, src, level)
			dec, err := fastlzDecompress(nil, enc, len(src))
			if err != nil || !bytes.Equal(dec, src) {
				t.Fatalf("input %d (%d bytes) level %d: decompress(compress) = %d bytes, %v", i, len(src), level, len(dec), err)
			}
		}
	}
}

// TestCompressionPHP has php-memcached store every input with FastLZ and
// zlib compression and checks, on the raw items, that Go's encoder makes the
// same bytes and flags (FastLZ) or the same decision (zlib), and that Go
// decodes PHP's values.
func TestCompressionPHP(t *testing.T) {
	t.Parallel()
	testenv.PHP(t, "memcached")
	mc := testenv.StartMemcached(t)
	script, err := os.ReadFile("testdata/compress.php")
	if err != nil {
		t.Fatal(err)
	}
	inputs := compressionInputs()
	client := memcache.New(mc.Addr)
	for _, ct := range []Compression{CompressionFastLZ, CompressionZlib} {
		t.Run(ct.String(), func(t *testing.T) {
			req := map[string]any{"server": mc.Addr, "type": ct.String()}
			var vals []string
			for _, in := range inputs {
				vals = append(vals, base64.StdEncoding.EncodeToString(in))
			}
			req["values"] = vals
			stdin, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			testenv.RunPHP(t, string(script), stdin)
			c := &codec{compression: ct, threshold: 2000, factor: 1.3, maxSize: 1 << 30}
			compressed := 0
			for i, in := range inputs {
				it, err := client.Get(fmt.Sprintf("cz%d", i))
				if err != nil {
					t.Fatalf("get cz%d: %v", i, err)
				}
				if it.Flags&flagCompressed != 0 {
					compressed++
				}
				got, err := c.decode(it.Key, it.Value, it.Flags)
				if err != nil || !bytes.Equal(got, in) {
					t.Errorf("input %d (%d bytes, flags %#x): decode = %d bytes, %v", i, len(in), it.Flags, len(got), err)
				}
				value, flags := c.encode(in)
				if flags != it.Flags {
					t.Errorf("input %d (%d bytes): encode flags %#x, php-memcached %#x", i, len(in), flags, it.Flags)
					continue
				}
				if ct == CompressionFastLZ && !bytes.Equal(value, it.Value) {
					t.Errorf("input %d (%d bytes): encode made %d bytes, php-memcached %d; first difference at %d",
						i, len(in), len(value), len(it.Value), firstDiff(value, it.Value))
				}
			}
			if compressed < len(inputs)/2 {
				t.Errorf("php-memcached compressed only %d of %d inputs", compressed, len(inputs))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestDecodeErrors(t *testing.T) {
	c := &codec{maxSize: 1000}
	good := fastlzCompress([]byte{0xd0, 0x07, 0, 0}, bytes.Repeat([]byte("ab"), 1000))
	tests := []struct {
		name  string
		value []byte
		flags uint32
		want  error
	}{
		{"long", []byte("12345"), typeLong, ErrValueType},
		{"serialized", []byte("a:0:{}"), typeSerialized, ErrValueType},
		{"type 9", []byte("x"), 9, ErrValueType},
		{"short header", []byte{1, 0}, flagCompressed | flagFastLZ, ErrCorrupt},
		{"too large", good, flagCompressed | flagFastLZ, ErrTooLarge},
		{"zstd garbage", []byte{1, 0, 0, 0, 0}, flagCompressed | flagZstd, ErrCorrupt},
		{"zstd size mismatch", zstdValue(bytes.Repeat([]byte("ab"), 100), 199), flagCompressed | flagZstd, ErrCorrupt},
		{"no method", []byte{1, 0, 0, 0, 0}, flagCompressed, ErrCorrupt},
		{"fastlz truncated", []byte{10, 0, 0, 0, 9, 'a'}, flagCompressed | flagFastLZ, ErrCorrupt},
		{"fastlz size lie", []byte{0, 0, 1, 0, 0, 'a'}, flagCompressed | flagFastLZ, ErrCorrupt},
		{"fastlz level 3", []byte{1, 0, 0, 0, 0x40, 'a'}, flagCompressed | flagFastLZ, ErrCorrupt},
		{"fastlz short", []byte{9, 0, 0, 0, 1, 'a', 'b'}, flagCompressed | flagFastLZ, ErrCorrupt},
		{"fastlz match before start", []byte{9, 0, 0, 0, 0, 'a', 0x20, 5}, flagCompressed | flagFastLZ, ErrCorrupt},
		{"zlib garbage", []byte{9, 0, 0, 0, 1, 2, 3}, flagCompressed | flagZlib, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *c
			if tt.name != "too large" {
				c.maxSize = 1 << 20
			}
			_, err := c.decode("k", tt.value, tt.flags)
			var ve *ValueError
			if !errors.Is(err, tt.want) || !errors.As(err, &ve) || ve.Key != "k" || ve.Flags != tt.flags {
				t.Errorf("decode = %v, want a *ValueError wrapping %v", err, tt.want)
			}
		})
	}
}

// zstdValue is a php-memcached ≥ 3.3 zstd value: the declared size, then a
// zstd frame with its content size, as ZSTD_compress writes.
func zstdValue(payload []byte, declared uint32) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	return enc.EncodeAll(payload, binary.LittleEndian.AppendUint32(nil, declared))
}

func TestDecodeZstd(t *testing.T) {
	c := &codec{maxSize: 1 << 20}
	for _, n := range []int{2000, 5000, 100000} { // php-memcached compresses from 2000 bytes
		payload := bytes.Repeat([]byte("zstd|i:1;"), n)[:n]
		got, err := c.decode("k", zstdValue(payload, uint32(n)), flagCompressed|flagZstd)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("decode(zstd of %d bytes) = %d bytes, %v", n, len(got), err)
		}
	}
}
