package redisstore_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/redisstore"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// BenchmarkStore compares Store.Read and Store.Write with the bare go-redis
// GET and SETEX (of the value already wrapped) they stand for, on the same server and payload, so that the
// store's own cost (key building, wrapping, unwrapping) shows as the
// difference.
func BenchmarkStore(b *testing.B) {
	srv := testenv.StartRedis(b)
	client := newClient(b, srv.Addr)
	ctx := context.Background()
	sizes := []struct {
		name string
		n    int
	}{{"1KB", 1 << 10}, {"100KB", 100 << 10}}
	for _, size := range sizes {
		payload := bytes.Repeat([]byte("k|s:5:\"value\";"), size.n/14+1)[:size.n]
		for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
			s := newStore(b, client, redisstore.Options{Layout: layout})
			id := "benchmark" + layout.String()
			if err := s.Write(ctx, id, payload, 0); err != nil {
				b.Fatal(err)
			}
			value := client.Get(ctx, s.Key(id)).Val()
			b.Run(size.name+"/"+layout.String()+"/Read", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if _, _, err := s.Read(ctx, id); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(size.name+"/"+layout.String()+"/Write", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if err := s.Write(ctx, id, payload, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(size.name+"/"+layout.String()+"/RawGET", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				key := s.Key(id)
				for b.Loop() {
					if _, err := client.Get(ctx, key).Bytes(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(size.name+"/"+layout.String()+"/RawSETEX", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				key := s.Key(id)
				for b.Loop() {
					if err := client.Do(ctx, "SETEX", key, 3600, value).Err(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("1KB/phalcon5/ReadParallel", func(b *testing.B) {
		s := newStore(b, client, redisstore.Options{})
		payload := bytes.Repeat([]byte("x"), 1<<10)
		if err := s.Write(ctx, "parallel", payload, 0); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(1 << 10)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.Read(ctx, "parallel"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
