//go:build !unix

package filestore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

// Store is a directory of session files. On this system, which lacks
// flock(2), there is none: [New] refuses, and every method of a Store
// returns an error wrapping [errors.ErrUnsupported]. The methods are those
// of the Unix Store, so that code using it builds everywhere.
type Store struct{}

var (
	_ adapters.Store         = (*Store)(nil)
	_ adapters.Toucher       = (*Store)(nil)
	_ adapters.Validator     = (*Store)(nil)
	_ adapters.Locker        = (*Store)(nil)
	_ adapters.CASWriter     = (*Store)(nil)
	_ adapters.Lister        = (*Store)(nil)
	_ adapters.IdleDestroyer = (*Store)(nil)
	_ adapters.Expirer       = (*Store)(nil)
	_ adapters.Inspector     = (*Store)(nil)
	_ adapters.Peeker        = (*Store)(nil)
)

// errNoFlock is what every call returns on a system without flock(2).
var errNoFlock = fmt.Errorf("filestore: session files need flock(2), the lock PHP takes, which %s lacks: %w", runtime.GOOS, errors.ErrUnsupported)

// New returns an error wrapping [errors.ErrUnsupported]: a session file is
// only safe to share with PHP under the flock(2) PHP takes, which this
// system lacks. Use a Redis or Memcached store here.
func New(opts Options) (*Store, error) { return nil, errNoFlock }

// Read returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Read(ctx context.Context, id string) ([]byte, bool, error) {
	return nil, false, errNoFlock
}

// Write returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	return errNoFlock
}

// Destroy returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Destroy(ctx context.Context, id string) error { return errNoFlock }

// GC returns an error wrapping [errors.ErrUnsupported].
func (s *Store) GC(ctx context.Context, maxLifetime time.Duration) (int, error) {
	return 0, errNoFlock
}

// Options returns the zero Options.
func (s *Store) Options() Options { return Options{} }

// Path returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Path(id string) (string, error) { return "", errNoFlock }

// Touch returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Touch(ctx context.Context, id string, ttl time.Duration) error { return errNoFlock }

// Exists returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Exists(ctx context.Context, id string) (bool, error) { return false, errNoFlock }

// Lock returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Lock(ctx context.Context, id string) (func(context.Context) error, error) {
	return nil, errNoFlock
}

// ReadVersion returns an error wrapping [errors.ErrUnsupported].
func (s *Store) ReadVersion(ctx context.Context, id string) ([]byte, bool, adapters.Version, error) {
	return nil, false, nil, errNoFlock
}

// WriteIfVersion returns an error wrapping [errors.ErrUnsupported].
func (s *Store) WriteIfVersion(ctx context.Context, id string, data []byte, ttl time.Duration, version adapters.Version) error {
	return errNoFlock
}

// Sessions returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Sessions(ctx context.Context, yield func(id string) bool) error { return errNoFlock }

// DestroyIdle returns an error wrapping [errors.ErrUnsupported].
func (s *Store) DestroyIdle(ctx context.Context, id string, idle time.Duration) (bool, error) {
	return false, errNoFlock
}

// Expiry returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Expiry(ctx context.Context, id string) (adapters.Expiry, bool, error) {
	return adapters.Expiry{}, false, errNoFlock
}

// Inspect returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Inspect(ctx context.Context, id string) (adapters.Inspection, bool, error) {
	return adapters.Inspection{}, false, errNoFlock
}

// Peek returns an error wrapping [errors.ErrUnsupported].
func (s *Store) Peek(ctx context.Context, id string) ([]byte, bool, error) {
	return nil, false, errNoFlock
}
