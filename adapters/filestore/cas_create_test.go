//go:build unix

package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sessbridge/sessbridge/adapters"
)

// TestCASConcurrentCreate: writers that all read a session before it
// existed race to create it; each retries on conflict, and no append may be
// lost.
func TestCASConcurrentCreate(t *testing.T) {
	for _, layout := range []adapters.Layout{adapters.LayoutPhalcon5, adapters.LayoutNative} {
		t.Run(layout.String(), func(t *testing.T) {
			s, err := New(Options{Dir: t.TempDir(), Layout: layout})
			if err != nil {
				t.Fatal(err)
			}
			const n = 16
			id := "createrace0123456789abcdef"
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						data, _, v, err := s.ReadVersion(t.Context(), id)
						if err != nil {
							t.Error(err)
							return
						}
						err = s.WriteIfVersion(t.Context(), id, append(data, fmt.Sprintf("k%02d|i:%d;", i, i)...), 0, v)
						if errors.Is(err, adapters.ErrConflict) {
							continue
						}
						if err != nil {
							t.Error(err)
						}
						return
					}
				}()
			}
			wg.Wait()
			data, _, err := s.Read(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if !bytes.Contains(data, fmt.Appendf(nil, "k%02d|", i)) {
					t.Errorf("append %d lost: %q", i, data)
				}
			}
		})
	}
}
