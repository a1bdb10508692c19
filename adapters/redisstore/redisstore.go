package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
)

// Compile-time checks that Store has every capability.
var (
	_ adapters.Store      = (*Store)(nil)
	_ adapters.Toucher    = (*Store)(nil)
	_ adapters.Validator  = (*Store)(nil)
	_ adapters.Locker     = (*Store)(nil)
	_ adapters.LockReader = (*Store)(nil)
	_ adapters.CASWriter  = (*Store)(nil)
	_ adapters.Lister     = (*Store)(nil)
)

// Store keeps sessions in Redis the way Phalcon's Redis session adapter or
// phpredis's session handler does, chosen by [Options.Layout]. It is safe
// for concurrent use.
type Store struct {
	client redis.UniversalClient
	// ap is client's AutoPipeliner when Options.AutoPipeline is set, which
	// the commands on one session key (a read, SETEX, the compare-and-swap,
	// EXPIRE, EXISTS, DEL/UNLINK, a lock's write and release) go through
	// when enough calls are under way (see begin).
	ap *redis.AutoPipeliner
	// apAsync is client's deferred AutoPipeliner, with ap on a client
	// whose pipelines run in order: a read queues its EXISTS, STRLEN and
	// GETRANGE there (LockRead its SET NX first) one after the other, to
	// share one batch.
	apAsync *redis.AutoPipeliner
	// busy counts the calls under way that send such commands, while ap
	// is set.
	busy  atomic.Int64
	opts  Options // defaults filled in
	owned bool    // client was made by Open and is closed by Close

	lockSuffix string // "-lock" or "_LOCK"
	// readEnd is the end offset of a read's GETRANGE, headLen()-1, as the
	// command's argument: boxed once here, not on every read.
	readEnd any
	// ordered: a pipeline's commands run in order (one server, one
	// connection), not on a Cluster or Ring that splits it by node.
	ordered bool

	secretOnce sync.Once
	secret     string // phpredis-style "<hostname>|<pid>" (LayoutNative)
}

// OpError is the error of a Store operation on one key. Err is the cause:
// a go-redis or network error, the context's error, or an error wrapping
// [adapters.ErrInvalidID], [adapters.ErrConflict] or
// [adapters.ErrLockTimeout]. When Redis refused the store's credentials or
// its user's ACL refused a command, the OpError also matches [ErrAuth].
type OpError struct {
	Op  string // "read", "write", "destroy", "touch", "exists", "lock", "unlock", "sessions"
	Key string // the Redis key, or the refused id for an invalid id
	Err error
}

// Error returns "redisstore: <op> <key>: <cause>".
func (e *OpError) Error() string {
	return "redisstore: " + e.Op + " " + e.Key + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrAuth] and the cause is Redis refusing
// the credentials (NOAUTH, WRONGPASS) or a command (NOPERM, or its form
// inside a script on Redis 7.0), so that errors.Is(err, ErrAuth) holds for
// such an error.
func (e *OpError) Is(target error) bool {
	return target == ErrAuth && (redis.IsAuthError(e.Err) || aclRefused(e.Err))
}

// aclRefused reports whether err is Redis refusing a command to the
// user's ACL: NOPERM, or, for a command a script runs, an ERR reply that
// says so: "The user executing the script can't run this command or
// subcommand" (Redis 7.0), "ACL failure in script: ..." (Redis 7.2+,
// Valkey).
func aclRefused(err error) bool {
	if redis.IsPermissionError(err) {
		return true
	}
	var reply redis.Error
	if !errors.As(err, &reply) {
		return false
	}
	msg := reply.Error()
	return strings.Contains(msg, "user executing the script can't run this command") ||
		strings.Contains(msg, "ACL failure in script")
}

// ErrAuth means Redis refused the store's credentials (NOAUTH: a password
// is required; WRONGPASS: the user or password is wrong) or its user's ACL
// does not allow a command or key the store needs (NOPERM): a
// configuration error, never a missing session or a lock someone holds.
// An [*OpError] matches it with errors.Is.
var ErrAuth = errors.New("redisstore: redis refused the credentials or a command")

// ErrLockLost means a lock had expired (or was taken by someone else) by
// the time its holder released it, so the session may have been changed
// by another holder meanwhile.
var ErrLockLost = errors.New("session lock was lost before it was released")

// New returns a Store that keeps sessions through client, which may be a
// standalone, Sentinel (failover) or Cluster client. Only the store fields
// of opts are used (see [Options]); opts is copied before the defaults are
// filled in. The caller keeps ownership of client: [Store.Close] does not
// close it.
//
// Build client with ContextTimeoutEnabled set (a field of redis.Options,
// redis.UniversalOptions, redis.FailoverOptions and redis.ClusterOptions;
// [NewClient] and [Open] set it): without it go-redis ignores a context's
// deadline once a command is sent, and a call on a stalled server waits
// for the client's ReadTimeout (3 s by default) and its retries, whatever
// the context says. A context cancelled without a deadline is noticed
// before each command and between lock attempts; a command in flight then
// still ends by ReadTimeout.
//
// New returns an error if opts is invalid (an unknown layout, a negative
// lifetime or lock wait) or client is nil.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	s := &Store{client: client, opts: o, lockSuffix: "-lock"}
	s.readEnd = s.headLen() - 1
	switch client.(type) {
	case *redis.ClusterClient, *redis.Ring:
	default:
		s.ordered = true
	}
	if o.Layout == adapters.LayoutNative {
		s.lockSuffix = "_LOCK"
	}
	if o.AutoPipeline {
		ap, err := client.AutoPipeline()
		if err != nil {
			return nil, fmt.Errorf("redisstore: AutoPipeline on %T: %w", client, err)
		}
		s.ap = ap
		if s.ordered {
			if s.apAsync, err = client.AsyncAutoPipeline(); err != nil {
				return nil, fmt.Errorf("redisstore: AutoPipeline on %T: %w", client, err)
			}
		}
	}
	return s, nil
}

// apMinBusy is how many calls on session keys must be under way, the new
// one included, for the new one's commands to go through the
// AutoPipeliner (see begin).
const apMinBusy = 16

// begin returns what a call sends its commands on a session key through;
// the call runs end once they are answered. Without AutoPipeline it is the
// client. With it, it is the AutoPipeliner when at least apMinBusy calls
// are under way, this one included, so that their commands share round
// trips; with fewer, most batches would hold one command, which the
// AutoPipeliner's hand-off between goroutines makes dearer than sending it
// on a pooled connection. One call's commands are sent one after the
// other whichever way they go, so the choice changes no order that a
// caller can see.
func (s *Store) begin() redis.UniversalClient {
	if s.ap == nil {
		return s.client
	}
	if s.busy.Add(1) >= apMinBusy {
		return s.ap
	}
	return s.client
}

// end ends a call that begin began.
func (s *Store) end() {
	if s.ap != nil {
		s.busy.Add(-1)
	}
}

// Open connects to Redis as [NewClient] does and returns a Store using
// that connection, which [Store.Close] closes. It does not talk to the
// server; the first operation does.
func Open(opts Options) (*Store, error) {
	client, err := NewClient(opts)
	if err != nil {
		return nil, err
	}
	s, err := New(client, opts)
	if err != nil {
		client.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Close closes the Redis client if the Store made it ([Open]); otherwise
// it does nothing.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("redisstore: close: %w", err)
	}
	return nil
}

// Client returns the go-redis client the Store uses.
func (s *Store) Client() redis.UniversalClient { return s.client }

// Key returns the Redis key of session id: the prefix followed by id.
func (s *Store) Key(id string) string { return s.opts.Prefix + id }

// LockKey returns the Redis key of the lock of session id:
// <prefix><id>-lock (Phalcon) or <prefix><id>_LOCK (phpredis).
func (s *Store) LockKey(id string) string { return s.opts.Prefix + id + s.lockSuffix }

// key validates id and returns its key, or an *OpError for op. It also
// refuses a done context, which an AutoPipeliner would not: it runs a
// command on a context of its own.
func (s *Store) key(ctx context.Context, op, id string) (string, error) {
	key, _, err := s.keys(ctx, op, id, "")
	return key, err
}

// keys is key that also returns the key followed by suffix (the lock key,
// with s.lockSuffix), built as one string of which key is the beginning.
func (s *Store) keys(ctx context.Context, op, id, suffix string) (key, suffixed string, err error) {
	if err := adapters.ValidID(id); err != nil {
		return "", "", &OpError{Op: op, Key: fmt.Sprintf("%q", id), Err: err}
	}
	suffixed = s.opts.Prefix + id + suffix
	key = suffixed[:len(suffixed)-len(suffix)]
	if err := ctx.Err(); err != nil {
		return "", "", &OpError{Op: op, Key: key, Err: err}
	}
	return key, suffixed, nil
}

// Read returns the session payload stored under id. A missing (or expired)
// key is found == false with a nil error.
//
// With the Phalcon layouts the stored value is s:N:"<payload>";. A value in
// any other shape is read as Phalcon would: LayoutPhalcon4 returns it
// unchanged, LayoutPhalcon5 returns an empty payload (found == true).
// With LayoutNative the value is the payload.
//
// A read is one round trip, a pipeline of EXISTS, STRLEN and GETRANGE of
// the value's first MiB (which costs Redis what GET does): EXISTS tells a
// missing key from an empty value, and the GETRANGE is the whole of any
// value up to 1 MiB - 1 bytes. A value longer than [Options.MaxSize] is
// refused with an error wrapping [ErrTooLarge] in that round trip, STRLEN
// telling its length, having transferred at most its first MiB (or
// MaxSize + 1 bytes, when MaxSize is under 1 MiB). A longer value that
// fits MaxSize costs a second round trip, which reads it whole.
//
// Errors are [*OpError] values.
func (s *Store) Read(ctx context.Context, id string) (data []byte, found bool, err error) {
	key, err := s.key(ctx, "read", id)
	if err != nil {
		return nil, false, err
	}
	data, found, _, err = s.readKey(ctx, "read", key)
	return data, found, err
}

// ErrTooLarge means a stored value is longer than [Options.MaxSize]. At
// most its first MiB was transferred.
var ErrTooLarge = errors.New("session value too large")

// readHead is how many bytes of a value the first round trip of a read
// fetches: the whole of any session up to 1 MiB, and no more of a larger
// one before its length is known to fit MaxSize.
const readHead = 1 << 20

// headLen is how many bytes a read asks GETRANGE for: a value of fewer is
// read whole; one of MaxSize+1 bytes is too large.
func (s *Store) headLen() int64 { return min(readHead, s.opts.MaxSize+1) }

// read is the commands of one read of a key, sent in one round trip:
// EXISTS tells a missing key from an empty value (GETRANGE returns "" for
// both), STRLEN the length of a value longer than the GETRANGE returns,
// and GETRANGE the value. (A Lua script that checks the length before it
// returns the value would be one command, but a value passed through Lua
// costs Redis 7.0 far more than GET: about 4 µs instead of 0.2 µs for
// 1 KB, some 250 µs instead of 6 µs for 100 KB.)
type read struct {
	exists, strlen *redis.IntCmd
	get            *redis.StringCmd
}

// newRead returns the commands of a read of key, with GETRANGE from offset
// 0 to end (an int64, or s.readEnd, boxed once). Their arguments share one
// array, in which key is boxed once.
func newRead(ctx context.Context, key string, end any) read {
	args := &[8]any{"EXISTS", key, "STRLEN", nil, "GETRANGE", nil, 0, end}
	args[3], args[5] = args[1], args[1]
	return read{
		exists: redis.NewIntCmd(ctx, args[0:2]...),
		strlen: redis.NewIntCmd(ctx, args[2:4]...),
		get:    redis.NewStringCmd(ctx, args[4:8]...),
	}
}

// sendRead sends on c the commands of a read of key, in one round trip:
// queued one after the other on the deferred AutoPipeliner when c is the
// AutoPipeliner of an ordered client, in a pipeline otherwise.
func (s *Store) sendRead(ctx context.Context, c redis.UniversalClient, key string, end any) read {
	r := newRead(ctx, key, end)
	if c != s.client && s.apAsync != nil {
		// To share a batch with other calls' commands; reading a reply
		// waits for it. Each command's error is its own, read by
		// gotValue.
		_ = s.apAsync.Process(ctx, r.exists)
		_ = s.apAsync.Process(ctx, r.strlen)
		_ = s.apAsync.Process(ctx, r.get)
		return r
	}
	pipe := c.Pipeline() // of the client, or the AutoPipeliner of a Cluster or Ring
	// BatchProcess of a pipeline never fails; each command's error is
	// read by gotValue.
	_ = pipe.BatchProcess(ctx, r.exists, r.strlen, r.get)
	execPipe(ctx, pipe)
	return r
}

// readKey does Read on a key and also returns the stored value as the
// reply holds it: data is a copy of its payload, which the caller owns.
func (s *Store) readKey(ctx context.Context, op, key string) (data []byte, found bool, stored string, err error) {
	c := s.begin()
	defer s.end()
	return s.gotValue(ctx, c, op, key, s.sendRead(ctx, c, key, s.readEnd))
}

// ctxCause returns err with the error of ctx in it when ctx has ended:
// go-redis reports a pipeline cut short by the context's deadline as the
// connection's i/o timeout, where a single command reports the deadline.
func ctxCause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); err != nil && cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", err, cerr)
	}
	return err
}

// result returns the replies of a read: whether the key existed, its
// length and what GETRANGE returned, or the first command's error.
func (r read) result() (exists bool, n int64, value string, err error) {
	e, err := r.exists.Result()
	if err == nil {
		n, err = r.strlen.Result()
	}
	if err == nil {
		value, err = r.get.Result()
	}
	return e == 1, n, value, err
}

// gotValue is readKey on the replies of a read sent with sendRead. The
// GETRANGE reply is the value as it was when GETRANGE ran when it is
// shorter than asked for; a longer value needs a second round trip, which
// goes through c, unless STRLEN (or the reply itself) shows it is over
// MaxSize. The three commands need not run at one instant (a pipeline is
// not a transaction), so only the GETRANGE reply is taken for the value,
// never combined with STRLEN's length.
func (s *Store) gotValue(ctx context.Context, c redis.UniversalClient, op, key string, r read) (data []byte, found bool, stored string, err error) {
	exists, n, stored, err := r.result()
	// found: the key existed, or was written between EXISTS and GETRANGE.
	found = err == nil && (exists || stored != "")
	if found && int64(len(stored)) >= s.headLen() { // not the whole value
		n = max(n, int64(len(stored)))
		if n <= s.opts.MaxSize {
			// It fit when STRLEN ran: read it whole, but no more than
			// MaxSize+1 bytes of it, which tells it is too large (the
			// same read, whose STRLEN is not needed this time).
			r = s.sendRead(ctx, c, key, s.opts.MaxSize)
			exists, _, stored, err = r.result()
			found = err == nil && (exists || stored != "")
			n = int64(len(stored))
		}
		if found && n > s.opts.MaxSize {
			err = fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, s.opts.MaxSize)
		}
	}
	err = ctxCause(ctx, err)
	if err != nil {
		return nil, false, "", &OpError{Op: op, Key: key, Err: err}
	}
	if !found {
		return nil, false, "", nil
	}
	// The one copy of a read: the reply is a string, the payload the
	// caller's to change.
	data, err = s.decode([]byte(stored))
	if err != nil {
		return nil, false, "", &OpError{Op: op, Key: key, Err: err}
	}
	return data, true, stored, nil
}

// decode returns the payload in a stored value, per the layout. Under
// LayoutPhalcon4 a value that is not s:N:"..."; is the payload itself, as
// phpredis's fallback reads it. Under LayoutPhalcon5 it is an error wrapping
// [adapters.ErrNotWrapped]: Phalcon 5 would read an empty session and then
// overwrite the value, and we lose nothing silently.
func (s *Store) decode(raw []byte) ([]byte, error) {
	if s.opts.Layout == adapters.LayoutNative {
		return raw, nil
	}
	payload, err := adapters.Unwrap(raw)
	if err == nil {
		return payload, nil
	}
	if s.opts.Layout == adapters.LayoutPhalcon4 {
		return raw, nil
	}
	return nil, err
}

// maxPooled is the largest wrapped value whose buffer goes back to
// valuePool, so that one huge session does not pin its memory.
const maxPooled = 1 << 20

// valuePool holds buffers for wrapped values. go-redis writes a command's
// arguments to the connection before the call returns and keeps no
// reference to them, so a buffer can be reused once Write returns. (A
// go-redis hook that kept a command's arguments after the call would see
// them change.)
var valuePool = sync.Pool{New: func() any { return new([]byte) }}

// encode returns the value to store for payload, per the layout. When buf
// is not nil, the value lives in it and buf goes back with release once
// the value has been sent.
func (s *Store) encode(payload []byte) (value []byte, buf *[]byte) {
	if s.opts.Layout == adapters.LayoutNative {
		return payload, nil
	}
	buf = valuePool.Get().(*[]byte)
	*buf = adapters.AppendWrap((*buf)[:0], payload)
	return *buf, buf
}

// release returns a buffer from encode to the pool.
func release(buf *[]byte) {
	if buf != nil && cap(*buf) <= maxPooled {
		valuePool.Put(buf)
	}
}

// ttl returns the TTL for a write with the given ttl, in whole seconds
// (rounded up), as SETEX and EXPIRE take them.
func (s *Store) ttl(op, key string, ttl time.Duration) (time.Duration, error) {
	if ttl < 0 {
		return 0, &OpError{Op: op, Key: key, Err: fmt.Errorf("negative ttl %v", ttl)}
	}
	if ttl == 0 {
		ttl = s.opts.Lifetime
	}
	if rem := ttl % time.Second; rem != 0 {
		ttl += time.Second - rem
	}
	return ttl, nil
}

// setex sends SETEX key <seconds> value, the command Phalcon (through
// phpredis's set with a TTL) and phpredis's session handler send. go-redis's
// own SetEx is deprecated in favour of SET ... EX, which would do the same.
// It goes through Process, which an AutoPipeliner batches (its Do would
// not).
func setex(ctx context.Context, c redis.UniversalClient, key string, ttl time.Duration, value []byte) error {
	cmd := redis.NewCmd(ctx, "SETEX", key, int64(ttl/time.Second), value)
	if err := c.Process(ctx, cmd); err != nil {
		return err
	}
	return cmd.Err()
}

// Write stores data under id with SETEX, for ttl (rounded up to whole
// seconds), or for the store's Lifetime when ttl is zero. A negative ttl
// is refused. With the Phalcon layouts the value is s:N:"<data>";, with
// LayoutNative it is data itself.
//
// Errors are [*OpError] values.
func (s *Store) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	key, err := s.key(ctx, "write", id)
	if err != nil {
		return err
	}
	exp, err := s.ttl("write", key, ttl)
	if err != nil {
		return err
	}
	value, buf := s.encode(data)
	defer release(buf)
	c := s.begin()
	defer s.end()
	if err := setex(ctx, c, key, exp, value); err != nil {
		return &OpError{Op: "write", Key: key, Err: outcome(err)}
	}
	return nil
}

// Destroy removes the session: UNLINK with the Phalcon layouts (Phalcon
// 5.12+), DEL with LayoutNative (phpredis). A missing id is not an error.
// It does not touch the session's lock; the holder releases that.
//
// Errors are [*OpError] values.
func (s *Store) Destroy(ctx context.Context, id string) error {
	key, err := s.key(ctx, "destroy", id)
	if err != nil {
		return err
	}
	c := s.begin()
	defer s.end()
	if s.opts.Layout == adapters.LayoutNative {
		err = c.Del(ctx, key).Err()
	} else {
		err = c.Unlink(ctx, key).Err()
	}
	if err != nil {
		return &OpError{Op: "destroy", Key: key, Err: outcome(err)}
	}
	return nil
}

// GC does nothing and returns 0: Redis expires session keys by their TTL,
// as Phalcon and phpredis rely on. Its error is the context's, if it is
// already done.
func (s *Store) GC(ctx context.Context, maxLifetime time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("redisstore: gc: %w", err)
	}
	return 0, nil
}

// Touch resets the TTL of the session with EXPIRE, to ttl (or the
// Lifetime when ttl is zero). This is phpredis's updateTimestamp. Phalcon
// 5.14.2+ rewrites the whole value instead, which leaves Redis in the same
// state. Touching a missing id is not an error.
//
// Errors are [*OpError] values.
func (s *Store) Touch(ctx context.Context, id string, ttl time.Duration) error {
	key, err := s.key(ctx, "touch", id)
	if err != nil {
		return err
	}
	exp, err := s.ttl("touch", key, ttl)
	if err != nil {
		return err
	}
	c := s.begin()
	defer s.end()
	if err := c.Expire(ctx, key, exp).Err(); err != nil {
		return &OpError{Op: "touch", Key: key, Err: err}
	}
	return nil
}

// Exists reports whether the session key exists (EXISTS), as Phalcon's and
// phpredis's validateId do in strict mode.
//
// Errors are [*OpError] values.
func (s *Store) Exists(ctx context.Context, id string) (bool, error) {
	key, err := s.key(ctx, "exists", id)
	if err != nil {
		return false, err
	}
	c := s.begin()
	defer s.end()
	n, err := c.Exists(ctx, key).Result()
	if err != nil {
		return false, &OpError{Op: "exists", Key: key, Err: err}
	}
	return n == 1, nil
}

// scanCount is the COUNT hint of SCAN, as Phalcon 5.15+'s getKeys uses.
const scanCount = 100

// Sessions calls yield with the id of every session key, skipping lock
// keys, until yield returns false. It sends SCAN MATCH <prefix>* to the
// server, or to every master of a Cluster and every shard of a Ring, and
// streams: it holds one SCAN page at a time. As with SCAN, a session
// written or removed meanwhile may or may not be seen.
//
// Errors are [*OpError] values.
func (s *Store) Sessions(ctx context.Context, yield func(id string) bool) error {
	match := globEscape(s.opts.Prefix) + "*"
	// A Cluster or Ring is scanned node by node; anything else is one server.
	var (
		nodes   []*redis.Client
		mu      sync.Mutex
		sharded = true
		collect = func(_ context.Context, c *redis.Client) error {
			mu.Lock()
			nodes = append(nodes, c)
			mu.Unlock()
			return nil
		}
		err error
	)
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, collect)
	case *redis.Ring:
		err = c.ForEachShard(ctx, collect)
	default:
		sharded = false
	}
	if err != nil {
		return &OpError{Op: "sessions", Key: match, Err: err}
	}
	scan := func(c redis.Cmdable) (bool, error) {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, match, scanCount).Result()
			if err != nil {
				return false, err
			}
			for _, k := range keys {
				id, ok := strings.CutPrefix(k, s.opts.Prefix)
				if !ok || id == "" || strings.HasSuffix(id, s.lockSuffix) {
					continue
				}
				if !yield(id) {
					return false, nil
				}
			}
			if next == 0 {
				return true, nil
			}
			cursor = next
		}
	}
	if !sharded {
		if _, err := scan(s.client); err != nil {
			return &OpError{Op: "sessions", Key: match, Err: err}
		}
		return nil
	}
	for _, n := range nodes {
		more, err := scan(n)
		if err != nil {
			return &OpError{Op: "sessions", Key: match, Err: fmt.Errorf("node %s: %w", n.Options().Addr, err)}
		}
		if !more {
			return nil
		}
	}
	return nil
}

// globEscape escapes the bytes special in a Redis glob pattern.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\^`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\', '^':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
