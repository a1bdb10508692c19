// Package adapters defines where sessions live: the [Store] interface that
// every session store implements, the optional capabilities a store may add,
// and the layouts (Phalcon 5, Phalcon 4, PHP native) that decide the exact
// key, file and value bytes a store uses so that PHP finds the same session.
//
// The stores themselves are in sub-packages, one per backend:
// filestore (Phalcon's Stream adapter and PHP's files handler), redisstore,
// memcachedstore and noopstore.
//
// # Writing your own store
//
// A store is the Go counterpart of PHP's SessionHandlerInterface. Implement
// [Store]; add any of [Toucher], [Validator], [Locker] and [CASWriter] that
// your backend can do, and the manager finds them by type assertion. Tools
// that look at sessions without taking part (the sessbridge CLI) also use
// [Lister], [Expirer], [Inspector] and [Peeker], and [IdleDestroyer] to
// collect the garbage of a store whose backend does not. The data
// a store reads and writes is the session payload exactly as PHP's
// serialize_handler produced it; any wrapping the PHP side adds (Phalcon's
// s:N:"..."; around Redis and Memcached values) is the store's business.
package adapters

import (
	"context"
	"errors"
	"time"
)

// Store keeps session payloads by session id.
//
// Read returns the payload stored under id. A missing or expired session is
// found == false with a nil error; an empty payload that exists is
// found == true with len(data) == 0. err is for system failures only. The
// caller owns data: the store must not change or reuse its memory after Read
// returns (the manager decodes a session in place, its values sharing that
// memory; see phpsession.DecodeSession).
//
// Write stores data under id, replacing what was there, with the given ttl.
// A ttl of zero means the store's own default lifetime (for example Phalcon's
// lifetime option, 3600 s). A failed Write leaves the previous payload
// intact.
//
// Destroy removes the session. Destroying a missing id is a no-op and returns
// nil.
//
// GC removes sessions not written or touched for maxLifetime, where the
// backend does not expire them by itself (files), and returns how many it
// removed. Stores whose backend expires keys (Redis, Memcached) return 0, nil.
//
// Every method takes a context first and honours its deadline and
// cancellation: a call with a done context fails with an error wrapping
// ctx.Err() and changes nothing, and a call whose context ends while it
// waits on the backend returns by the context's deadline. A Write or Destroy
// that fails after its command left, with no reply, wraps
// [ErrOutcomeUnknown]. Every method refuses an id that [ValidID]
// refuses with an error wrapping [ErrInvalidID]. Implementations must be
// safe for concurrent use. The conformance suite in adapters/storetest
// checks all of this.
type Store interface {
	Read(ctx context.Context, id string) (data []byte, found bool, err error)
	Write(ctx context.Context, id string, data []byte, ttl time.Duration) error
	Destroy(ctx context.Context, id string) error
	GC(ctx context.Context, maxLifetime time.Duration) (removed int, err error)
}

// Toucher is implemented by stores that can refresh a session's expiry
// without rewriting it: PHP's updateTimestamp (a file's mtime, Redis EXPIRE,
// Memcached touch). Touching a missing id is not an error and does not
// create the session.
type Toucher interface {
	Touch(ctx context.Context, id string, ttl time.Duration) error
}

// Validator is implemented by stores that can tell cheaply whether a session
// exists: PHP's validateId, used in strict mode.
type Validator interface {
	Exists(ctx context.Context, id string) (bool, error)
}

// Locker is implemented by stores that can exclude PHP (and other Go
// processes) from a session while it is read, changed and written, using the
// lock protocol the PHP side uses (flock on files, Phalcon's
// sess-reds-<id>-lock key, phpredis's _LOCK key, php-memcached's lock. key).
//
// Lock blocks until the lock is held, ctx is done, or the store's own retry
// budget runs out; it then returns an error wrapping [ErrLockTimeout]. The
// returned Unlock releases the lock only if it is still the holder's.
//
// A store whose lock can be switched off (redisstore without
// Options.Locking, as PHP then takes no lock) still implements Locker, with
// a Lock that excludes no one; it says so with a method Locking() bool that
// returns false, and the manager refuses to lock requests on it.
type Locker interface {
	Lock(ctx context.Context, id string) (Unlock func(context.Context) error, err error)
}

// LockReader is implemented by Lockers that can take a session's lock and
// read the session in one step, and write it and release the lock in one
// step: Redis pipelines SET NX with GET, and SETEX with the release script,
// so that a locked read-modify-write costs two round trips, like a bare
// read and write.
//
// LockRead waits for the lock as [Locker.Lock] does and fails the same way;
// once it holds the lock it returns the session as [Store.Read] would. The
// lock is then held until [Held.Unlock] or [Held.WriteUnlock] is called, or
// until it expires.
type LockReader interface {
	LockRead(ctx context.Context, id string) (data []byte, found bool, held Held, err error)
}

// Held is a session lock taken by [LockReader.LockRead].
type Held interface {
	// Unlock releases the lock, as the unlock function of [Locker.Lock]
	// does; calling it again does nothing.
	Unlock(ctx context.Context) error
	// WriteUnlock writes data under the locked id as [Store.Write] does,
	// then releases the lock, in one round trip where the backend allows.
	// The release is attempted even when the write fails.
	WriteUnlock(ctx context.Context, data []byte, ttl time.Duration) error
	// TouchUnlock refreshes the locked session's expiry as [Toucher.Touch]
	// does, then releases the lock, in one round trip where the backend
	// allows: what an unchanged session needs at the end of a request
	// (PHP's lazy_write). The release is attempted even when the touch
	// fails.
	TouchUnlock(ctx context.Context, ttl time.Duration) error
}

// CASWriter is implemented by stores that can write only if the session is
// still what was read (a Redis Lua compare-and-set script, Memcached gets/cas, a digest checked under flock for files).
//
// ReadVersion returns the payload like Read, plus an opaque version token.
// WriteIfVersion writes data only if the stored session still has that
// version, and otherwise returns an error wrapping [ErrConflict] and writes
// nothing. A version from a read that found nothing means "only if still
// missing".
type CASWriter interface {
	ReadVersion(ctx context.Context, id string) (data []byte, found bool, version Version, err error)
	WriteIfVersion(ctx context.Context, id string, data []byte, ttl time.Duration, version Version) error
}

// Version is an opaque token from [CASWriter.ReadVersion].
type Version any

// Lister is implemented by stores that can enumerate their sessions (files
// in a directory, Redis SCAN, ...). Sessions calls yield once per session id
// in no particular order, and stops early if yield returns false. It streams:
// it never holds every id in memory at once.
type Lister interface {
	Sessions(ctx context.Context, yield func(id string) bool) error
}

// IdleDestroyer is implemented by stores whose backend does not expire
// sessions by itself (files), so that a tool can collect garbage one
// session at a time, more carefully than [Store.GC]: list the sessions
// (see [Lister]), decide which ones to remove, and destroy those.
//
// DestroyIdle destroys session id only if it has not been written or
// touched for idle and no process holds its lock, checked without waiting
// for the lock. It reports whether it removed the session; a missing,
// fresh or locked session gives false and a nil error. An idle that is not
// positive is an error.
type IdleDestroyer interface {
	DestroyIdle(ctx context.Context, id string, idle time.Duration) (removed bool, err error)
}

// Sentinel errors shared by every store.
var (
	// ErrLockTimeout means a session lock could not be taken in time.
	ErrLockTimeout = errors.New("could not acquire the session lock")
	// ErrConflict means a compare-and-swap write lost: the session changed
	// since it was read.
	ErrConflict = errors.New("session changed since it was read")
	// ErrInvalidID means a session id was refused because it is empty, too
	// long or holds bytes that could escape the store's key space or
	// directory.
	ErrInvalidID = errors.New("invalid session id")
	// ErrOutcomeUnknown means a write, destroy or lock command was sent but
	// its reply never came (a timeout, a done context, a dropped
	// connection): the store may or may not have applied it, and may still
	// apply it later. It never means "nothing was written".
	ErrOutcomeUnknown = errors.New("outcome unknown: the command was sent but no reply came")
)
