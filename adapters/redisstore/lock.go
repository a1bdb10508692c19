package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
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
	key, lockKey, err := s.keys(ctx, "lock", id, s.lockSuffix)
	if err != nil {
		return nil, err
	}
	if !s.opts.Locking {
		return func(context.Context) error { return nil }, nil
	}
	h, args, attempts := s.newHeld(id, key, lockKey)
	err = s.acquire(ctx, h, attempts, func() (bool, error) {
		return lockTaken(s.client.Do(ctx, args...).Err())
	})
	if err != nil {
		return nil, err
	}
	return h.Unlock, nil
}

// Locking reports whether [Store.Lock] takes a lock ([Options.Locking]).
// The manager refuses to lock requests on a Store that does not.
func (s *Store) Locking() bool { return s.opts.Locking }

// LockRead takes the session lock of id as [Store.Lock] does and reads the
// session as [Store.Read] does, sending SET NX and the read's commands
// (EXISTS, STRLEN, GETRANGE) in one pipeline, so that an uncontended lock
// costs no round trip of its own. With [Options.AutoPipeline], while it
// batches, they go one after the other into a batch shared with other
// requests' commands, through go-redis's deferred AutoPipeliner. A read
// sent with a SET NX that did not take the lock is ignored, and all are
// sent again after LockWait. The returned [adapters.Held]
// writes and releases in one round trip too (see [held.WriteUnlock]). On a
// Cluster or a Ring, where the lock key and the session key may live on
// different nodes and a pipeline's commands to two nodes run in no set
// order, the commands go one after the other instead.
//
// With [Options.Locking] off it only reads, and the Held's Unlock does
// nothing, as PHP takes no lock then. Errors are those of Lock and Read.
func (s *Store) LockRead(ctx context.Context, id string) (data []byte, found bool, held adapters.Held, err error) {
	key, lockKey, err := s.keys(ctx, "lock", id, s.lockSuffix)
	if err != nil {
		return nil, false, nil, err
	}
	h, args, attempts := s.newHeld(id, key, lockKey)
	if !s.opts.Locking {
		h.done.Store(true)
		data, found, _, err = s.readKey(ctx, "read", key)
		return data, found, h, err
	}
	var r read
	batched := s.begin() != s.client && s.apAsync != nil
	defer s.end()
	err = s.acquire(ctx, h, attempts, func() (bool, error) {
		if !s.ordered {
			return lockTaken(s.client.Do(ctx, args...).Err())
		}
		if batched {
			// Queued one after the other on the deferred AutoPipeliner,
			// whose commands run in the order they are queued; reading
			// a reply waits for it.
			set := redis.NewCmd(ctx, args...)
			_ = s.apAsync.Process(ctx, set) // the error is the command's
			r = s.sendRead(ctx, s.ap, key, s.readEnd)
			return lockTaken(set.Err())
		}
		pipe := s.client.Pipeline()
		set := redis.NewCmd(ctx, args...)
		r = newRead(ctx, key, s.readEnd)
		// BatchProcess of a pipeline never fails; each command's error
		// is read below.
		_ = pipe.BatchProcess(ctx, set, r.exists, r.strlen, r.get)
		execPipe(ctx, pipe)
		return lockTaken(set.Err())
	})
	if err == nil && !s.ordered {
		r = s.sendRead(ctx, s.client, key, s.readEnd)
	}
	if err != nil {
		return nil, false, nil, err
	}
	data, found, _, err = s.gotValue(ctx, s.client, "read", key, r)
	if err != nil {
		// The lock is ours, but the read failed: give the lock back.
		_ = h.Unlock(ctx)
		return nil, false, nil, err
	}
	return data, found, h, nil
}

// execPipe sends pipe's commands; the caller reads each command's error.
// When the pipeline failed and no command has an error of its own, the
// pipeline's error becomes each command's: go-redis leaves them nil when a
// new connection's AUTH fails (WRONGPASS is a Redis error, which go-redis
// takes for a command's own reply), and a SET NX without error would read
// as a lock taken.
func execPipe(ctx context.Context, pipe redis.Pipeliner) {
	cmds, err := pipe.Exec(ctx)
	if err == nil {
		return
	}
	for _, c := range cmds {
		if c.Err() != nil {
			return // Exec's error is this command's own
		}
	}
	for _, c := range cmds {
		c.SetErr(err)
	}
}

// lockTaken turns the reply to SET NX into whether the lock was taken.
func lockTaken(err error) (bool, error) {
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil, err
}

// newHeld returns the lock a Lock or LockRead of the session key will
// take, with the SET NX command that takes it and the number of attempts
// to make (negative: until the context ends).
//
// With the Phalcon layouts it follows Phalcon 5.14.2+: value 32 random
// lowercase hex digits, SET NX EX LockExpiry, LockRetries attempts. With
// LayoutNative it follows phpredis: value "<hostname>|<pid>|<16 hex
// digits>", SET NX PX LockExpiry (no TTL if LockExpiry is negative),
// 1+LockRetries attempts.
func (s *Store) newHeld(id, key, lockKey string) (h *held, args []any, attempts int) {
	native := s.opts.Layout == adapters.LayoutNative
	h = &held{s: s, id: id, key: key, lockKey: lockKey, native: native}
	attempts = s.opts.LockRetries
	if native {
		h.token = s.nativeSecret() + "|" + randomHex(8)
		args = append(h.set[:0], "SET", lockKey, h.token, "NX")
		if s.opts.LockExpiry > 0 {
			args = append(args, "PX", ceilDiv(s.opts.LockExpiry, time.Millisecond))
		}
		if attempts >= 0 {
			attempts++
		}
	} else {
		h.token = randomHex(16)
		args = append(h.set[:0], "SET", lockKey, h.token, "NX")
		if s.opts.LockExpiry > 0 {
			args = append(args, "EX", ceilDiv(s.opts.LockExpiry, time.Second))
		}
	}
	return h, args, attempts
}

// acquire calls try, which sends one attempt to take the lock h, until it
// takes it, up to attempts times (negative: until ctx ends), LockWait
// apart. It returns a [*LockError] when the attempts run out or ctx ends,
// and an [*OpError] when Redis fails. An attempt whose reply never came
// may still take the lock when Redis gets to it: acquire then leaves a
// release behind it (see abandon).
func (s *Store) acquire(ctx context.Context, h *held, attempts int, try func() (bool, error)) error {
	lockKey := h.lockKey
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
				return &LockError{Key: lockKey, Attempts: n, Err: ctx.Err()}
			case <-timer.C:
			}
		}
		taken, err := try()
		if taken {
			if n > 0 {
				s.logger().LogAttrs(ctx, slog.LevelDebug, "session lock was busy", adapters.IDAttr(h.id), slog.Int("attempts", n+1))
			}
			return nil
		}
		if err != nil && errors.Is(outcome(err), adapters.ErrOutcomeUnknown) {
			go h.abandon()
		}
		if ctx.Err() != nil {
			return &LockError{Key: lockKey, Attempts: n + 1, Err: ctx.Err()}
		}
		if err != nil {
			return &OpError{Op: "lock", Key: lockKey, Err: outcome(err)}
		}
	}
	return &LockError{Key: lockKey, Attempts: n}
}

// held is a session lock taken by Lock or LockRead: an [adapters.Held].
type held struct {
	s                *Store
	id, key, lockKey string
	token            string
	native           bool
	done             atomic.Bool // released
	// set holds the arguments of the SET NX that takes the lock (at most
	// SET key token NX EX n), so that they cost no allocation of their own.
	set [6]any
	// eval holds those of WriteUnlock's script.
	eval [8]any
}

// abandon releases a lock that an attempt whose reply never came may
// have taken after its caller gave up, so that it does not block the
// session until it expires. It sends the release script on a context of
// its own, bounded by the lock's expiry, after which there is nothing left
// to release; if Redis runs it before the attempt, the lock expires.
func (h *held) abandon() {
	bound := h.s.opts.LockExpiry
	if bound <= 0 {
		bound = DefaultLockExpiry
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	_ = h.Unlock(ctx) // ErrLockLost when the attempt took nothing
}

// release queues the release script on c: phpredis's (EVALSHA) or
// Phalcon's (EVAL).
func (h *held) release(ctx context.Context, c redis.Scripter) *redis.Cmd {
	if h.native {
		return nativeRelease.EvalSha(ctx, c, []string{h.lockKey}, h.token)
	}
	return c.Eval(ctx, phalconReleaseScript, []string{h.lockKey}, h.token)
}

// released checks the reply of the release script: an *OpError wrapping
// ErrLockLost when the lock was no longer ours.
func (h *held) released(cmd *redis.Cmd) error {
	deleted, err := cmd.Int64()
	if err != nil {
		return &OpError{Op: "unlock", Key: h.lockKey, Err: err}
	}
	if !h.done.CompareAndSwap(false, true) {
		return nil
	}
	if deleted != 1 {
		return &OpError{Op: "unlock", Key: h.lockKey, Err: ErrLockLost}
	}
	return nil
}

// Unlock deletes the lock only if it still holds the value this lock set.
// It returns an *OpError wrapping [ErrLockLost] if the lock had expired or
// been taken over meanwhile, and nil when called again.
//
// When Redis refuses the release script because the store's ACL user may
// not GET (the user took the lock, but cannot read, so the read that came
// with the lock failed too), Unlock runs [setRelease] instead, which
// compares the token through SET ... NX GET.
func (h *held) Unlock(ctx context.Context) error {
	if h.done.Load() {
		return nil
	}
	var cmd *redis.Cmd
	if h.native {
		cmd = nativeRelease.Run(ctx, h.s.client, []string{h.lockKey}, h.token)
	} else {
		cmd = h.release(ctx, h.s.client)
	}
	return h.released(h.releaseRefused(ctx, cmd))
}

// releaseRefused returns the reply of [setRelease], run on the lock, when
// Redis refused the release script that cmd ran for a command the ACL
// denies (NOPERM), and cmd otherwise.
func (h *held) releaseRefused(ctx context.Context, cmd *redis.Cmd) *redis.Cmd {
	if err := cmd.Err(); err == nil || !aclRefused(err) {
		return cmd
	}
	args := []any{nil, nil, 1, h.lockKey, h.token}
	if again := setRelease.run(ctx, h.s.client, args); again.Err() == nil {
		return again
	}
	return cmd // the first refusal is the one to report
}

// setRelease is the compare-and-delete of a lock for an ACL user that may
// SET and DEL but not GET (Redis 7.0 checks a script's commands against
// the user, so the release scripts of Phalcon and phpredis, which GET the
// lock, fail with NOPERM for it). SET ... NX GET (Redis 7.0+) returns the
// lock's value without changing a lock that exists; on a missing lock it
// sets one, which the script deletes at once, unseen, as a script runs
// whole. It deletes the lock only if it holds ARGV[1], and returns 1 when
// it did, 0 otherwise, as the release scripts do.
var setRelease = newScript(`local v = redis.call("set", KEYS[1], ARGV[1], "NX", "GET")
if v == ARGV[1] then return redis.call("del", KEYS[1]) end
if not v then redis.call("del", KEYS[1]) end
return 0`)

// WriteUnlock writes data as [Store.Write] does and releases the lock, in
// one round trip: a script (EVALSHA, then EVAL the first time a server
// does not know it) that writes with SETEX and deletes the lock only if
// the lock still holds this holder's value, as phpredis checks its lock
// before it writes. When the lock has expired or passed to someone else
// nothing is written, and the error wraps [ErrLockLost]. The write and the
// release are one step, so a write whose reply is lost never lands after
// another holder took the lock. On a Cluster or Ring, where the two keys
// may live on different nodes, it checks the lock (GET), writes and
// releases one after the other, and a write whose outcome is unknown
// keeps the lock until it expires. The write's error comes first; an
// *OpError wrapping [ErrLockLost] means the write was done but someone else
// may have written in between.
func (h *held) WriteUnlock(ctx context.Context, data []byte, ttl time.Duration) error {
	s := h.s
	if h.done.Load() {
		return s.Write(ctx, h.id, data, ttl)
	}
	exp, err := s.ttl("write", h.key, ttl)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return errors.Join(err, h.Unlock(ctx))
	}
	value, buf := s.encode(data)
	defer release(buf)
	if !s.ordered {
		// Two keys on two nodes: check, write, release, one at a time.
		cur, err := s.client.Get(ctx, h.lockKey).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return errors.Join(&OpError{Op: "write", Key: h.key, Err: err}, h.Unlock(ctx))
		}
		if cur != h.token {
			h.done.Store(true)
			return &OpError{Op: "write", Key: h.key, Err: ErrLockLost}
		}
		if err := setex(ctx, s.client, h.key, exp, value); err != nil {
			werr := &OpError{Op: "write", Key: h.key, Err: outcome(err)}
			if errors.Is(werr, adapters.ErrOutcomeUnknown) {
				// The write may land later; a release sent now could
				// land before it and let another holder in first.
				return werr
			}
			return errors.Join(werr, h.Unlock(ctx))
		}
		return h.Unlock(ctx)
	}
	// EVALSHA <sha> 2 lockKey key token ttl value; the lock key and the
	// token are boxed already, in the arguments of the SET NX that took
	// the lock.
	args := append(h.eval[:0], nil, nil, 2, h.set[1], h.key, h.set[2], int64(exp/time.Second), value)
	c := s.begin()
	defer s.end()
	n, err := lockedWrite.run(ctx, c, args).Int64()
	if err != nil {
		return &OpError{Op: "write", Key: h.key, Err: outcome(err)}
	}
	h.done.Store(true)
	if n != 1 {
		return &OpError{Op: "write", Key: h.key, Err: ErrLockLost}
	}
	return nil
}

// lockedWrite writes a session and releases its lock in one step, only if
// the lock is still the caller's: KEYS[1] the lock key, KEYS[2] the session
// key, ARGV the token, the TTL in seconds and the value. It returns 1, or 0
// (nothing written) when the lock expired or passed to someone else, where
// phpredis also refuses to write ("Session lock expired").
var lockedWrite = newScript(`if redis.call("get", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("setex", KEYS[2], ARGV[2], ARGV[3])
redis.call("del", KEYS[1])
return 1`)

// TouchUnlock resets the session's TTL as [Store.Touch] does and releases
// the lock, in one pipeline: EXPIRE, then the release script (one after
// the other on a Cluster or Ring).
func (h *held) TouchUnlock(ctx context.Context, ttl time.Duration) error {
	s := h.s
	if h.done.Load() {
		return s.Touch(ctx, h.id, ttl)
	}
	exp, err := s.ttl("touch", h.key, ttl)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil || !s.ordered {
		if err == nil {
			err = s.Touch(ctx, h.id, ttl)
		}
		return errors.Join(err, h.Unlock(ctx))
	}
	pipe := s.client.Pipeline()
	touch := pipe.Expire(ctx, h.key, exp)
	rel := h.release(ctx, pipe)
	execPipe(ctx, pipe) // each command's error is read below
	if h.native && redis.HasErrorPrefix(rel.Err(), "NOSCRIPT") {
		rel = nativeRelease.Eval(ctx, s.client, []string{h.lockKey}, h.token)
	}
	rel = h.releaseRefused(ctx, rel)
	if err := touch.Err(); err != nil {
		return errors.Join(&OpError{Op: "touch", Key: h.key, Err: err}, h.released(rel))
	}
	return h.released(rel)
}

// outcome wraps err with [adapters.ErrOutcomeUnknown] when the command may
// have reached Redis: err is not a reply from the server, nor a failure to
// get a connection (dial, pool timeout, closed client), after which nothing
// was sent.
func outcome(err error) error {
	var reply redis.Error
	var op *net.OpError
	switch {
	case err == nil, errors.As(err, &reply),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed),
		errors.As(err, &op) && op.Op == "dial":
		return err
	}
	return fmt.Errorf("%w: %w", adapters.ErrOutcomeUnknown, err)
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
