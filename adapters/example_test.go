package adapters_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sessbridge/sessbridge/adapters"
	"github.com/sessbridge/sessbridge/adapters/storetest"
)

// memStore is an in-memory session store: a complete custom store with
// every optional capability. Its locks are advisory, as flock and Redis
// locks are: they exclude other Lock callers, not plain reads and writes.
type memStore struct {
	mu       sync.Mutex
	sessions map[string]memSession
	locks    map[string]chan struct{} // closed when the lock is released
	now      func() time.Time
}

type memSession struct {
	data    []byte
	expires time.Time
	version uint64 // changes on every write; never reused
}

// memVersion is the memStore's CAS token: 0 means "missing".
type memVersion uint64

var nextVersion struct {
	sync.Mutex
	n uint64
}

func newVersion() uint64 {
	nextVersion.Lock()
	defer nextVersion.Unlock()
	nextVersion.n++
	return nextVersion.n
}

// The compiler checks that memStore has every capability.
var (
	_ adapters.Store     = (*memStore)(nil)
	_ adapters.Toucher   = (*memStore)(nil)
	_ adapters.Validator = (*memStore)(nil)
	_ adapters.Locker    = (*memStore)(nil)
	_ adapters.CASWriter = (*memStore)(nil)
	_ adapters.Lister    = (*memStore)(nil)
)

const memDefaultTTL = time.Hour

func newMemStore() *memStore {
	return &memStore{sessions: map[string]memSession{}, locks: map[string]chan struct{}{}, now: time.Now}
}

// check refuses a done context and an invalid id, as every method must.
func check(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	if err := adapters.ValidID(id); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}

// get returns the live session under id; the caller holds s.mu.
func (s *memStore) get(id string) (memSession, bool) {
	sess, ok := s.sessions[id]
	if ok && !s.now().Before(sess.expires) {
		delete(s.sessions, id)
		return memSession{}, false
	}
	return sess, ok
}

func (s *memStore) put(id string, data []byte, ttl time.Duration) {
	if ttl <= 0 {
		ttl = memDefaultTTL
	}
	s.sessions[id] = memSession{data: bytes.Clone(data), expires: s.now().Add(ttl), version: newVersion()}
}

func (s *memStore) Read(ctx context.Context, id string) ([]byte, bool, error) {
	data, found, _, err := s.ReadVersion(ctx, id)
	return data, found, err
}

func (s *memStore) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	if err := check(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(id, data, ttl)
	return nil
}

func (s *memStore) Destroy(ctx context.Context, id string) error {
	if err := check(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
	return nil
}

// GC returns 0: sessions expire by themselves, as in Redis.
func (s *memStore) GC(ctx context.Context, maxLifetime time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memstore: %w", err)
	}
	return 0, nil
}

func (s *memStore) Touch(ctx context.Context, id string, ttl time.Duration) error {
	if err := check(ctx, id); err != nil {
		return err
	}
	if ttl <= 0 {
		ttl = memDefaultTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess, ok := s.get(id); ok {
		sess.expires = s.now().Add(ttl)
		s.sessions[id] = sess
	}
	return nil
}

func (s *memStore) Exists(ctx context.Context, id string) (bool, error) {
	if err := check(ctx, id); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.get(id)
	return ok, nil
}

func (s *memStore) Lock(ctx context.Context, id string) (func(context.Context) error, error) {
	if err := check(ctx, id); err != nil {
		return nil, err
	}
	for {
		s.mu.Lock()
		held, busy := s.locks[id]
		if !busy {
			mine := make(chan struct{})
			s.locks[id] = mine
			s.mu.Unlock()
			var once sync.Once
			return func(context.Context) error {
				once.Do(func() {
					s.mu.Lock()
					defer s.mu.Unlock()
					if s.locks[id] == mine { // release only our own lock
						delete(s.locks, id)
					}
					close(mine)
				})
				return nil
			}, nil
		}
		s.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, fmt.Errorf("memstore: lock %q: %w (%w)", id, adapters.ErrLockTimeout, ctx.Err())
		}
	}
}

func (s *memStore) ReadVersion(ctx context.Context, id string) ([]byte, bool, adapters.Version, error) {
	if err := check(ctx, id); err != nil {
		return nil, false, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.get(id)
	if !ok {
		return nil, false, memVersion(0), nil
	}
	return bytes.Clone(sess.data), true, memVersion(sess.version), nil
}

func (s *memStore) WriteIfVersion(ctx context.Context, id string, data []byte, ttl time.Duration, v adapters.Version) error {
	if err := check(ctx, id); err != nil {
		return err
	}
	want, ok := v.(memVersion)
	if !ok {
		return fmt.Errorf("memstore: version %T is not from this store", v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, _ := s.get(id)
	if memVersion(sess.version) != want {
		return fmt.Errorf("memstore: write %q: %w", id, adapters.ErrConflict)
	}
	s.put(id, data, ttl)
	return nil
}

// Sessions copies the ids under the lock and yields them outside it, so
// that yield may call the store. A store with millions of sessions would
// page through them instead (SCAN, a directory walk).
func (s *memStore) Sessions(ctx context.Context, yield func(id string) bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	s.mu.Lock()
	ids := make([]string, 0, len(s.sessions))
	for id := range s.sessions {
		if _, ok := s.get(id); ok {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memstore: %w", err)
		}
		if !yield(id) {
			return nil
		}
	}
	return nil
}

// This example implements a custom in-memory store with every optional
// capability (see memStore above) and uses it the way the session manager
// does: lock, read, change, write, unlock; then a compare-and-swap write.
func Example_customStore() {
	ctx := context.Background()
	var store adapters.Store = newMemStore()
	const id = "987c7s2solkbvdg0is71pdincj"

	if err := store.Write(ctx, id, []byte(`visits|i:1;`), 0); err != nil {
		fmt.Println(err)
		return
	}

	// The manager finds the capabilities by type assertion.
	if l, ok := store.(adapters.Locker); ok {
		unlock, err := l.Lock(ctx, id)
		if err != nil {
			fmt.Println(err)
			return
		}
		data, found, _ := store.Read(ctx, id)
		fmt.Printf("locked read: %s %v\n", data, found)
		store.Write(ctx, id, []byte(`visits|i:2;`), 0)
		unlock(ctx)
	}

	if c, ok := store.(adapters.CASWriter); ok {
		_, _, v, _ := c.ReadVersion(ctx, id)
		store.Write(ctx, id, []byte(`visits|i:3;`), 0) // another request wins
		err := c.WriteIfVersion(ctx, id, []byte(`visits|i:99;`), 0, v)
		fmt.Println("stale write:", err)
	}

	data, _, _ := store.Read(ctx, id)
	fmt.Printf("final: %s\n", data)

	_, _, err := store.Read(ctx, "../etc/passwd")
	fmt.Println(err)
	// Output:
	// locked read: visits|i:1; true
	// stale write: memstore: write "987c7s2solkbvdg0is71pdincj": session changed since it was read
	// final: visits|i:3;
	// memstore: adapters: invalid session id: byte '/' at offset 2
}

// TestMemStoreConformance runs the conformance suite on the example store,
// which also keeps the suite itself honest.
func TestMemStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) adapters.Store { return newMemStore() })
}
