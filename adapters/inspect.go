package adapters

import (
	"context"
	"fmt"
	"time"
)

// The capabilities in this file serve tools that look at sessions without
// taking part in them (the sessbridge CLI's ls, inspect and migrate): they
// never take a session's lock, never wait for one, and change nothing.

// Expirer is implemented by stores that can tell when a session expires:
// Redis's PTTL, a session file's modification time. A missing session is
// found == false with a nil error.
type Expirer interface {
	Expiry(ctx context.Context, id string) (exp Expiry, found bool, err error)
}

// Expiry is what a store can tell of a session's lifetime.
type Expiry struct {
	// TTL is the time left before the backend expires the session by
	// itself (Redis), when HasTTL is true; a negative TTL means the
	// session never expires.
	TTL    time.Duration
	HasTTL bool
	// Modified is when the session was last written or touched, for
	// backends whose GC removes the sessions not modified for
	// gc_maxlifetime (files); the zero Time when the store cannot tell.
	Modified time.Time
}

// Inspector is implemented by stores that can show how a session is
// stored: where, the bytes as they are, and the state of its lock.
//
// Inspect reads the session without taking or waiting for its lock. A
// missing session is found == false with a nil error. A stored value that
// Read would refuse (one the layout cannot decode) gives Read's error.
type Inspector interface {
	Inspect(ctx context.Context, id string) (in Inspection, found bool, err error)
}

// Inspection is how a session is stored; see [Inspector].
type Inspection struct {
	// Location is the key or file that holds the session.
	Location string
	// Stored is the value exactly as stored, before the layout's wrapping
	// or compression is undone. While Lock is LockHeld it may be a write
	// in progress.
	Stored []byte
	// Payload is what Read returns: Stored with the layout's wrapping or
	// compression undone. It may share memory with Stored.
	Payload []byte
	// Lock is the state of the session's lock, the lock PHP's handler
	// takes (see [Locker]).
	Lock LockState
	// LockName is the key whose existence is the lock (Redis, Memcached),
	// or "" when the lock is a flock on the session file itself.
	LockName string
	// Flags are the memcached item flags (php-memcached's serializer and
	// compression bits), when HasFlags is true.
	Flags    uint32
	HasFlags bool
}

// LockState tells whether a session's lock is held.
type LockState int

// The lock states.
const (
	// LockUnknown means the store cannot tell.
	LockUnknown LockState = iota
	// LockFree means nobody holds the lock.
	LockFree
	// LockHeld means a process (PHP, or Go through [Locker]) holds it.
	LockHeld
)

var lockStateNames = [...]string{LockUnknown: "unknown", LockFree: "free", LockHeld: "held"}

// String returns "unknown", "free" or "held".
func (l LockState) String() string {
	if l >= 0 && int(l) < len(lockStateNames) {
		return lockStateNames[l]
	}
	return fmt.Sprintf("LockState(%d)", int(l))
}

// Peeker is implemented by stores whose Read waits while another process
// holds the session's lock (a session file PHP keeps under flock from
// session_start to session_write_close). Peek reads the session like Read
// but never waits: if the lock is held by another process it returns at
// once an error wrapping [ErrLockTimeout], and never reads past the lock.
// A store whose Read never waits for a session lock (Redis, Memcached:
// their locks are keys of their own) has no need of Peek: call Read.
type Peeker interface {
	Peek(ctx context.Context, id string) (data []byte, found bool, err error)
}
