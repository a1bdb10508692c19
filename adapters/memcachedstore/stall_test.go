//go:build unix

package memcachedstore_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/memcachedstore"
	"github.com/sessbridge/sessbridge/adapters/storetest"
	"github.com/sessbridge/sessbridge/internal/testenv"
)

// TestStalledServer stops the memcached the test owns (SIGSTOP): calls
// whose context ends after 300 ms return by then, although the client's
// own timeout is 5 s, and a write or lock whose reply never came says its
// outcome is unknown or that the lock was not taken. Once the server
// resumes, the lock that the abandoned attempt took is released at once,
// not after its 30 s expiry.
func TestStalledServer(t *testing.T) {
	srv := testenv.StartMemcached(t)
	s, err := memcachedstore.New(memcachedstore.Options{
		Servers: []memcachedstore.Server{{Host: "127.0.0.1", Port: srv.Port}},
		Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	id := storetest.NewID()
	if err := s.Write(context.Background(), id, []byte("a|i:1;"), 0); err != nil {
		t.Fatal(err)
	}
	testenv.Stop(t, srv.Process)
	t.Cleanup(func() { srv.Process.Signal(syscall.SIGCONT) })

	const bound = 300 * time.Millisecond
	tests := []struct {
		name string
		call func(ctx context.Context) error
		want error
	}{
		{"Read", func(ctx context.Context) error { _, _, err := s.Read(ctx, id); return err }, context.DeadlineExceeded},
		{"Write", func(ctx context.Context) error { return s.Write(ctx, id, []byte("b|i:2;"), 0) }, adapters.ErrOutcomeUnknown},
		{"Destroy", func(ctx context.Context) error { return s.Destroy(ctx, id) }, adapters.ErrOutcomeUnknown},
		{"Lock", func(ctx context.Context) error { _, err := s.Lock(ctx, id); return err }, adapters.ErrLockTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			begin := time.Now()
			err := tt.call(ctx)
			took := time.Since(begin)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s on a stopped server = %v, want an error wrapping %v", tt.name, err, tt.want)
			}
			if took > bound+time.Second { // slack for a loaded machine; without the bound a call waits Timeout (5 s)
				t.Errorf("%s took %v, want at most about %v", tt.name, took, bound)
			}
		})
	}

	// The lock's add, sent while the server was stopped, is applied when
	// it resumes; the Lock that gave up releases it then.
	srv.Process.Signal(syscall.SIGCONT)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	begin := time.Now()
	unlock, err := s.Lock(ctx, id)
	if err != nil {
		t.Fatalf("Lock after the server resumed = %v", err)
	}
	t.Logf("the lock was free %v after the server resumed", time.Since(begin).Round(time.Millisecond))
	unlock(ctx)
}
