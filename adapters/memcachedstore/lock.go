package memcachedstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sessbridge/sessbridge/adapters"
)

// lockInfix makes the lock key of a session: prefix + "lock." + id, as
// php-memcached's session handler does ("lock.<id>" under its namespace).
// Being a key of its own, the lock is hashed on "lock.<id>" and may live on
// another server than the session.
const lockInfix = "lock."

// lockValue is what php-memcached stores in a lock key.
var lockValue = []byte("1")

// heldLock is a lock this Store holds: the lock item as read right after
// it was added, whose CAS id tells our lock from a later holder's.
type heldLock struct {
	key     string // the session's key
	lockKey string
	item    *memcache.Item // nil if it could not be read back
}

// Lock takes the session lock of php-memcached's session handler: it adds
// the key <prefix>lock.<id> = "1" (memcached add, expiring after
// LockExpire), retrying LockRetries times with waits of LockWaitMin
// doubling up to LockWaitMax, as PHP does. PHP's session_start waits for a
// lock Go holds, and Go waits for PHP's.
//
// With the Phalcon layouts the same lock excludes other Go processes only:
// Phalcon's Libmemcached adapter takes no lock (use [Store.WriteIfVersion]
// for safe saves against PHP).
//
// When the lock is still taken after the last attempt, or ctx ends first,
// the error wraps [adapters.ErrLockTimeout] (and the context's error).
// Unlock deletes the lock if it is still this holder's.
func (s *Store) Lock(ctx context.Context, id string) (func(context.Context) error, error) {
	key, err := s.key(ctx, id)
	if err != nil {
		return nil, err
	}
	lockKey := s.opts.Prefix + lockInfix + id
	wait := s.opts.LockWaitMin
	for retries := s.opts.LockRetries; ; retries-- {
		err := s.doThen(ctx, func() error {
			return s.client.Add(&memcache.Item{Key: lockKey, Value: lockValue, Expiration: exptime(s.opts.LockExpire)})
		}, func(err error) {
			// The caller gave up before the add came back: if it took
			// the lock, nobody holds it; give it back.
			if err == nil {
				s.client.Delete(lockKey)
			}
		})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("memcachedstore: lock %q: %w: %w", lockKey, adapters.ErrLockTimeout, ctx.Err())
		}
		if !errors.Is(err, memcache.ErrNotStored) {
			return nil, fmt.Errorf("memcachedstore: lock %q: %w", lockKey, outcome(err))
		}
		if retries <= 0 {
			return nil, fmt.Errorf("memcachedstore: lock %q: %w: still held after %d attempts",
				lockKey, adapters.ErrLockTimeout, s.opts.LockRetries+1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("memcachedstore: lock %q: %w: %w", lockKey, adapters.ErrLockTimeout, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, s.opts.LockWaitMax)
	}
	l := &heldLock{key: key, lockKey: lockKey}
	// Read the lock back for its CAS id, so that Unlock never deletes a
	// lock someone else took after ours expired.
	var it *memcache.Item
	err = s.do(ctx, func() (err error) { it, err = s.client.Get(lockKey); return err })
	if err == nil {
		l.item = it
	} else if !errors.Is(err, memcache.ErrCacheMiss) {
		go s.client.Delete(lockKey) // bounded by Options.Timeout, even if ctx is done
		return nil, fmt.Errorf("memcachedstore: lock %q: %w", lockKey, err)
	}
	s.mu.Lock()
	s.locks[key] = l
	s.mu.Unlock()
	return func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memcachedstore: unlock %q: %w", lockKey, err)
		}
		return l.release(ctx, s)
	}, nil
}

// release deletes the lock if it is still ours: a cas that expires it at
// once (memcached's text protocol has no delete-if-cas). A lock that is
// gone or someone else's is left alone.
func (l *heldLock) release(ctx context.Context, s *Store) error {
	s.mu.Lock()
	if s.locks[l.key] != l {
		s.mu.Unlock()
		return nil // already released
	}
	delete(s.locks, l.key)
	s.mu.Unlock()
	if l.item == nil {
		return nil
	}
	it := *l.item
	it.Expiration = -1
	err := s.do(ctx, func() error { return s.client.CompareAndSwap(&it) })
	switch {
	case err == nil, errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
		return nil
	}
	return fmt.Errorf("memcachedstore: unlock %q: %w", l.lockKey, err)
}
