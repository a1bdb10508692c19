package memcachedstore

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

var benchSizes = []int{1 << 10, 100 << 10}

// benchPayload is session-like text, so that the FastLZ case compresses.
func benchPayload(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "k%d|s:%d:\"value %d\";", i, len(fmt.Sprint("value ", i)), i)
	}
	return b.Bytes()[:n]
}

// BenchmarkStore compares Store.Read and Store.Write (native layout: the
// raw payload, as the raw client) with gomemcache's Get and Set on the same
// server, and the Phalcon 5 layout with its s:N:"..."; wrapper, with and
// without FastLZ.
func BenchmarkStore(b *testing.B) {
	mc := testenv.StartMemcached(b, "-I", "4m")
	servers := []Server{{Host: "127.0.0.1", Port: mc.Port}}
	raw := memcache.New(mc.Addr)
	stores := []struct {
		name string
		opts Options
	}{
		{"native", Options{Servers: servers, Layout: adapters.LayoutNative}},
		{"phalcon5", Options{Servers: servers}},
		{"phalcon5-fastlz", Options{Servers: servers, Compression: CompressionFastLZ}},
	}
	ctx := context.Background()
	for _, size := range benchSizes {
		payload := benchPayload(size)
		name := fmt.Sprintf("%dKB", size>>10)
		b.Run("raw/Set/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := raw.Set(&memcache.Item{Key: "memc.sess.key.bench", Value: payload, Expiration: 1440}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("raw/Get/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := raw.Get("memc.sess.key.bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, st := range stores {
			s, err := New(st.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(st.name+"/Write/"+name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					if err := s.Write(ctx, "bench", payload, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(st.name+"/Read/"+name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, _, err := s.Read(ctx, "bench"); err != nil {
						b.Fatal(err)
					}
				}
			})
			s.Close()
		}
	}
}

func BenchmarkPickServer(b *testing.B) {
	servers := []Server{{"10.0.0.1", 11211, 1}, {"10.0.0.2", 11211, 1}, {"10.0.0.3", 11311, 1}}
	weighted := []Server{{"10.0.0.1", 11211, 1}, {"10.0.0.2", 11211, 3}, {"10.0.0.3", 11311, 2}}
	key := "sess-memc-hk2kj4p9qv0g7d8s1m3c5e6f7a"
	for _, tc := range []struct {
		name string
		opts SelectorOptions
	}{
		{"consistent", SelectorOptions{Servers: servers, Prefix: "sess-memc-"}},
		{"consistent-weighted", SelectorOptions{Servers: weighted, Prefix: "sess-memc-"}},
		{"crc", SelectorOptions{Servers: servers, Distribution: DistributionCRC, Prefix: "sess-memc-"}},
		{"ketama_weighted", SelectorOptions{Servers: weighted, Distribution: DistributionKetamaWeighted, Prefix: "sess-memc-"}},
	} {
		s := mustSelector(b, tc.opts)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.PickServer(key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		s := mustSelector(b, SelectorOptions{Servers: servers, Prefix: "sess-memc-"})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.PickServer(key)
			}
		})
	})
}

func BenchmarkFastLZ(b *testing.B) {
	for _, size := range benchSizes {
		src := benchPayload(size)
		enc := fastlzCompress(nil, src)
		b.Run(fmt.Sprintf("compress/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			dst := make([]byte, 0, 2*size)
			for b.Loop() {
				fastlzCompress(dst[:0], src)
			}
		})
		b.Run(fmt.Sprintf("decompress/%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			dst := make([]byte, 0, size)
			for b.Loop() {
				if _, err := fastlzDecompress(dst[:0], enc, size); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
