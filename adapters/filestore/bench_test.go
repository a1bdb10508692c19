//go:build unix

package filestore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
)

var benchSizes = []struct {
	name string
	size int
}{
	{"1KB", 1 << 10},
	{"100KB", 100 << 10},
}

// BenchmarkRead compares Store.Read (open, flock, fstat, read, close) with
// a bare os.ReadFile of the same file.
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchSizes {
		data := bytes.Repeat([]byte("x"), bs.size)
		for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
			b.Run(bs.name+"/Store/"+layout.String(), func(b *testing.B) {
				s := newStore(b, Options{Layout: layout})
				if err := s.Write(ctx, "benchid", data, 0); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(bs.size))
				for b.Loop() {
					if _, _, err := s.Read(ctx, "benchid"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(bs.name+"/os.ReadFile", func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "benchid")
			os.WriteFile(p, data, 0o600)
			b.ReportAllocs()
			b.SetBytes(int64(bs.size))
			for b.Loop() {
				if _, err := os.ReadFile(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrite compares Store.Write (open, flock, fstat, in-place write)
// with a bare os.WriteFile (open with O_TRUNC, write, close).
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchSizes {
		data := bytes.Repeat([]byte("x"), bs.size)
		for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
			b.Run(bs.name+"/Store/"+layout.String(), func(b *testing.B) {
				s := newStore(b, Options{Layout: layout})
				b.ReportAllocs()
				b.SetBytes(int64(bs.size))
				for b.Loop() {
					if err := s.Write(ctx, "benchid", data, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(bs.name+"/os.WriteFile", func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "benchid")
			b.ReportAllocs()
			b.SetBytes(int64(bs.size))
			for b.Loop() {
				if err := os.WriteFile(p, data, 0o600); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLockedCycle is the manager's request: Lock, Read, Write,
// Unlock, on one descriptor.
func BenchmarkLockedCycle(b *testing.B) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("x"), 1<<10)
	s := newStore(b, Options{Layout: adapters.LayoutNative})
	if err := s.Write(ctx, "benchid", data, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		unlock, err := s.Lock(ctx, "benchid")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Read(ctx, "benchid"); err != nil {
			b.Fatal(err)
		}
		if err := s.Write(ctx, "benchid", data, 0); err != nil {
			b.Fatal(err)
		}
		unlock(ctx)
	}
}
