package redisstore

import (
	"context"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
)

var (
	_ adapters.Expirer   = (*Store)(nil)
	_ adapters.Inspector = (*Store)(nil)
)

// Expiry returns the time the key of session id has left (PTTL); a key
// without an expiry has a negative TTL. Errors are [*OpError] values.
func (s *Store) Expiry(ctx context.Context, id string) (adapters.Expiry, bool, error) {
	key, err := s.key(ctx, "expiry", id)
	if err != nil {
		return adapters.Expiry{}, false, err
	}
	// The raw reply: -2 for a missing key, -1 for a key without expiry.
	c := s.begin()
	defer s.end()
	ms, err := c.Do(ctx, "PTTL", key).Int64()
	switch {
	case err != nil:
		return adapters.Expiry{}, false, &OpError{Op: "expiry", Key: key, Err: err}
	case ms == -2:
		return adapters.Expiry{}, false, nil
	case ms < 0:
		return adapters.Expiry{TTL: -1, HasTTL: true}, true, nil
	}
	return adapters.Expiry{TTL: time.Duration(ms) * time.Millisecond, HasTTL: true}, true, nil
}

// Inspect returns the key of session id, its value as stored, and whether
// its lock key ([Store.LockKey]) exists, which is what holding the lock
// means to Phalcon and phpredis. Errors are [*OpError] values.
func (s *Store) Inspect(ctx context.Context, id string) (adapters.Inspection, bool, error) {
	key, lockKey, err := s.keys(ctx, "inspect", id, s.lockSuffix)
	if err != nil {
		return adapters.Inspection{}, false, err
	}
	in := adapters.Inspection{Location: key, LockName: lockKey}
	var found bool
	var stored string
	in.Payload, found, stored, err = s.readKey(ctx, "inspect", key)
	if err != nil || !found {
		return in, false, err
	}
	in.Stored = []byte(stored)
	c := s.begin()
	defer s.end()
	n, err := c.Exists(ctx, in.LockName).Result()
	if err != nil {
		return in, false, &OpError{Op: "inspect", Key: in.LockName, Err: err}
	}
	in.Lock = adapters.LockFree
	if n > 0 {
		in.Lock = adapters.LockHeld
	}
	return in, true, nil
}
