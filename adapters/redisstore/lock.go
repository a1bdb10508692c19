package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
)

// phalconReleaseScript is the compare-and-delete script Phalcon 5.14.2+
// sends with EVAL to release a session lock, byte for byte.
const phalconReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

// nativeRelease is phpredis's lock release script (LOCK_RELEASE_LUA_STR),
// byte for byte, so that its SHA1 is the one phpredis sends with EVALSHA
// and PHP and Go share the script cache. It runs as EVALSHA, then EVAL on
// NOSCRIPT, as phpredis does.
var nativeRelease = redis.NewScript(`if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end`)

// LockError is the error of a [Store.Lock] that did not get the lock,
// because another holder kept it for every attempt or the context ended
// first. It matches [adapters.ErrLockTimeout] with errors.Is, and the
// context's error too when that is the cause.
type LockError struct {
	Key      string // the lock key, e.g. sess-reds-<id>-lock
	Attempts int    // how many times SET NX was sent
	Err      error  // the context's error, or nil when the retries ran out
}

// Error returns Phalcon's message (AdapterRuntimeError "Could not acquire
// the session lock with key: <key>"), prefixed with the package name.
func (e *LockError) Error() string {
	msg := "redisstore: could not acquire the session lock with key: " + e.Key +
		" (" + strconv.Itoa(e.Attempts) + " attempts"
	if e.Err != nil {
		msg += ", " + e.Err.Error()
	}
	return msg + ")"
}

// Unwrap returns [adapters.ErrLockTimeout] and the context's error, if any.
func (e *LockError) Unwrap() []error {
	if e.Err == nil {
		return []error{adapters.ErrLockTimeout}
	}
	return []error{adapters.ErrLockTimeout, e.Err}
}

// Lock takes the session lock of id, the way the PHP side of the layout
// does, so that Go and PHP exclude each other. It returns at once with a
// no-op unlock when [Options.Locking] is off, as PHP takes no lock then.
//
// With the Phalcon layouts it follows Phalcon 5.14.2+: key
// <prefix><id>-lock, value 32 random lowercase hex digits, SET NX EX
// LockExpiry, up to LockRetries attempts LockWait apart; unlock sends
// Phalcon's compare-and-delete script with EVAL. With LayoutNative it
// follows phpredis: key <prefix><id>_LOCK, SET NX PX LockExpiry (no TTL if
// LockExpiry is negative), 1+LockRetries attempts; unlock runs phpredis's
// script (EVALSHA, then EVAL). The value is phpredis's "<hostname>|<pid>"
// with "|<16 hex digits>" appended, so that two goroutines of one process
// never release each other's lock.
//
// Lock is not re-entrant: locking an id the caller already holds waits for
// itself and fails. When the lock is not taken, Lock returns a [*LockError]
// (errors.Is adapters.ErrLockTimeout); a failure to talk to Redis is an
// [*OpError].
//
// The returned unlock deletes the lock only if it still holds the value
// this Lock set. It returns an *OpError wrapping [ErrLockLost] if the lock
// had expired or been taken over meanwhile, and nil when called again.
func (s *Store) Lock(ctx context.Context, id string) (unlock func(context.Context) error, err error) {
	if _, err := s.key(ctx, "lock", id); err != nil {
		return nil, err
	}
	key := s.LockKey(id)
	if err := ctx.Err(); err != nil {
		return nil, &LockError{Key: key, Err: err}
	}
	if !s.opts.Locking {
		return func(context.Context) error { return nil }, nil
	}
	native := s.opts.Layout == adapters.LayoutNative

	args := []any{"SET", key, "", "NX"}
	attempts := s.opts.LockRetries
	if native {
		args[2] = s.nativeSecret() + "|" + randomHex(8)
		if s.opts.LockExpiry > 0 {
			args = append(args, "PX", ceilDiv(s.opts.LockExpiry, time.Millisecond))
		}
		if attempts >= 0 {
			attempts++
		}
	} else {
		args[2] = randomHex(16)
		if s.opts.LockExpiry > 0 {
			args = append(args, "EX", ceilDiv(s.opts.LockExpiry, time.Second))
		}
	}
	token := args[2].(string)

	var timer *time.Timer
	n := 0
	for ; attempts < 0 || n < attempts; n++ {
		if n > 0 {
			if timer == nil {
				timer = time.NewTimer(s.opts.LockWait)
				defer timer.Stop()
			} else {
				timer.Reset(s.opts.LockWait)
			}
			select {
			case <-ctx.Done():
				return nil, &LockError{Key: key, Attempts: n, Err: ctx.Err()}
			case <-timer.C:
			}
		}
		err := s.client.Do(ctx, args...).Err()
		if err == nil {
			if n > 0 {
				s.logger().LogAttrs(ctx, slog.LevelDebug, "session lock was busy", adapters.IDAttr(id), slog.Int("attempts", n+1))
			}
			return s.unlocker(key, token, native), nil
		}
		if ctx.Err() != nil {
			return nil, &LockError{Key: key, Attempts: n + 1, Err: ctx.Err()}
		}
		if !errors.Is(err, redis.Nil) {
			return nil, &OpError{Op: "lock", Key: key, Err: err}
		}
	}
	return nil, &LockError{Key: key, Attempts: n}
}

// unlocker returns the unlock function of a lock held with token.
func (s *Store) unlocker(key, token string, native bool) func(context.Context) error {
	var done atomic.Bool
	return func(ctx context.Context) error {
		if done.Load() {
			return nil
		}
		var cmd *redis.Cmd
		if native {
			cmd = nativeRelease.Run(ctx, s.client, []string{key}, token)
		} else {
			cmd = s.client.Eval(ctx, phalconReleaseScript, []string{key}, token)
		}
		deleted, err := cmd.Int64()
		if err != nil {
			return &OpError{Op: "unlock", Key: key, Err: err}
		}
		if !done.CompareAndSwap(false, true) {
			return nil
		}
		if deleted != 1 {
			return &OpError{Op: "unlock", Key: key, Err: ErrLockLost}
		}
		return nil
	}
}

// nativeSecret returns phpredis's lock secret for this process,
// "<hostname>|<pid>".
func (s *Store) nativeSecret() string {
	s.secretOnce.Do(func() {
		host, _ := os.Hostname()
		s.secret = host + "|" + strconv.Itoa(os.Getpid())
	})
	return s.secret
}

// randomHex returns n random bytes from crypto/rand as 2n lowercase hex
// digits (bin2hex(random_bytes(n)) in PHP).
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// ceilDiv returns d in units of unit, rounded up.
func ceilDiv(d, unit time.Duration) int64 {
	return int64((d + unit - 1) / unit)
}
