package memcachedstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessbridge/sessbridge/adapters"
)

var _ adapters.Inspector = (*Store)(nil)

// Inspect returns the key of session id, its value as stored with the item
// flags (php-memcached's serializer and compression bits), and whether its
// lock key (<prefix>lock.<id>, see [Store.Lock]) exists. Memcached cannot
// tell the time an item has left, so Store has no Expiry.
func (s *Store) Inspect(ctx context.Context, id string) (adapters.Inspection, bool, error) {
	payload, found, it, err := s.read(ctx, id)
	if err != nil || !found {
		return adapters.Inspection{}, false, err
	}
	in := adapters.Inspection{
		Location: it.Key,
		Stored:   it.Value,
		Payload:  payload,
		LockName: s.opts.Prefix + lockInfix + id,
		Flags:    it.Flags,
		HasFlags: true,
	}
	switch _, err := s.client.Get(in.LockName); {
	case err == nil:
		in.Lock = adapters.LockHeld
	case errors.Is(err, memcache.ErrCacheMiss):
		in.Lock = adapters.LockFree
	default:
		return in, false, fmt.Errorf("memcachedstore: get %q: %w", in.LockName, err)
	}
	return in, true, nil
}
