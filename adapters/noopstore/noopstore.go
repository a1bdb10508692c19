// Package noopstore is a session store that keeps nothing: the Go
// counterpart of Phalcon's Noop session adapter, for tests and for apps that
// want the session API without persistence.
//
// Phalcon's Noop read() returns "", which PHP treats as a new, empty
// session. Here Read reports found == false with a nil error, the
// [adapters.Store] way of saying the same thing. Write, Destroy and Touch
// succeed and do nothing; GC removes nothing; Exists reports true for every
// id, as Phalcon's validateId (v5.14+) does, so strict mode never replaces
// an id.
//
// Unlike Phalcon's Noop, every method still checks its context and refuses
// an id [adapters.ValidID] refuses, as every store does, so swapping stores
// never changes which ids are accepted.
package noopstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

// Store keeps nothing. The zero value is ready to use and safe for
// concurrent use.
type Store struct{}

var (
	_ adapters.Store     = (*Store)(nil)
	_ adapters.Toucher   = (*Store)(nil)
	_ adapters.Validator = (*Store)(nil)
)

// New returns a Store.
func New() *Store { return &Store{} }

func check(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("noopstore: %w", err)
	}
	if err := adapters.ValidID(id); err != nil {
		return fmt.Errorf("noopstore: %w", err)
	}
	return nil
}

// Read reports every session as missing: nil, false, nil.
func (*Store) Read(ctx context.Context, id string) ([]byte, bool, error) {
	return nil, false, check(ctx, id)
}

// Write discards data and returns nil.
func (*Store) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	return check(ctx, id)
}

// Destroy does nothing and returns nil.
func (*Store) Destroy(ctx context.Context, id string) error {
	return check(ctx, id)
}

// GC removes nothing: 0, nil.
func (*Store) GC(ctx context.Context, maxLifetime time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("noopstore: %w", err)
	}
	return 0, nil
}

// Touch does nothing and returns nil (Phalcon's updateTimestamp).
func (*Store) Touch(ctx context.Context, id string, ttl time.Duration) error {
	return check(ctx, id)
}

// Exists reports true for every valid id, as Phalcon's Noop validateId
// does.
func (*Store) Exists(ctx context.Context, id string) (bool, error) {
	if err := check(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}
