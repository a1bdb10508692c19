package memcachedstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sessbridge/sessbridge/adapters"
)

// Defaults, named after the PHP settings they copy.
const (
	// DefaultPrefix is Phalcon's Libmemcached session adapter prefix.
	DefaultPrefix = "sess-memc-"
	// NativePrefix is php-memcached's memcached.sess_prefix.
	NativePrefix = "memc.sess.key."
	// DefaultLifetime is Phalcon's storage lifetime option.
	DefaultLifetime = 3600 * time.Second
	// NativeLifetime is PHP's session.gc_maxlifetime.
	NativeLifetime = 1440 * time.Second
	// DefaultCompressionThreshold is memcached.compression_threshold.
	DefaultCompressionThreshold = 2000
	// DefaultCompressionFactor is memcached.compression_factor.
	DefaultCompressionFactor = 1.3
	// DefaultMaxValueSize bounds what a compressed value may expand to.
	DefaultMaxValueSize = 16 << 20
	// DefaultLockRetries is memcached.sess_lock_retries.
	DefaultLockRetries = 5
	// DefaultLockWait is memcached.sess_lock_wait_min and _max.
	DefaultLockWait = 150 * time.Millisecond
	// DefaultLockExpire is PHP's max_execution_time default, which
	// php-memcached uses when memcached.sess_lock_expire is 0.
	DefaultLockExpire = 30 * time.Second
)

// maxRelativeExpiration is memcached's REALTIME_MAXDELTA (30 days): larger
// expirations are read as a Unix time.
const maxRelativeExpiration = 30 * 24 * 3600

// Options configure a [Store]. The zero value is Phalcon 5's Libmemcached
// session adapter with its default options.
type Options struct {
	// Servers, in the order PHP adds them. Default: 127.0.0.1:11211,
	// weight 1 (Phalcon's default).
	Servers []Server

	// Layout decides the value bytes and the defaults below.
	// LayoutPhalcon5 stores s:N:"payload"; (adapters.Wrap), LayoutPhalcon4
	// and LayoutNative the raw payload. Default: LayoutPhalcon5.
	Layout adapters.Layout

	// Distribution is how keys map to servers. Default: the layout's,
	// which is DistributionConsistent for Phalcon 5 (≥ 5.10),
	// DistributionCRC for Phalcon 4 (and Phalcon 5.0-5.9, which need it
	// set explicitly), DistributionKetama for the native handler.
	Distribution Distribution

	// Prefix goes in front of every session id to make the memcached key.
	// Default: "sess-memc-" (Phalcon's prefix option), or "memc.sess.key."
	// (memcached.sess_prefix) with LayoutNative.
	Prefix string

	// Lifetime is the expiry of a write with a zero ttl. Default: 3600 s
	// (Phalcon's lifetime option), or 1440 s (session.gc_maxlifetime) with
	// LayoutNative. Expiries over 30 days are sent as a Unix time, as the
	// php-memcached session handler does (Phalcon passes them as they are,
	// which memcached reads as a time in 1970: such a session expires at
	// once in PHP).
	Lifetime time.Duration

	// Compression of written values. Reading understands FastLZ and zlib
	// whatever this is. It must be CompressionNone with LayoutNative: the
	// php-memcached session handler stores and reads raw bytes. Default:
	// CompressionNone (PHP reads uncompressed values whatever its own
	// compression setting).
	Compression Compression
	// CompressionThreshold is the smallest value that is compressed
	// (memcached.compression_threshold). Default: 2000.
	CompressionThreshold int
	// CompressionFactor: a compressed value is kept only if the original
	// is more than this many times larger (memcached.compression_factor).
	// Default: 1.3.
	CompressionFactor float64
	// MaxValueSize is the largest size a compressed value may declare;
	// larger ones are refused with ErrTooLarge. Default: 16 MiB.
	MaxValueSize int

	// Timeout is the socket read/write timeout of each memcached call.
	// A store call returns when its context ends, even if the memcached
	// call it made is still waiting; that call then ends by this timeout,
	// its result dropped (a write's error wraps
	// adapters.ErrOutcomeUnknown). Default: gomemcache's, 500 ms.
	Timeout time.Duration
	// MaxIdleConns is the number of idle connections kept per server for
	// the next calls. Each call at once beyond it dials a connection of its
	// own, closed after the call: with gomemcache's own default of 2, a web
	// server running 8 requests at once spent a third of its CPU per
	// request, and memcached a third of its, on connections
	// (bench/fpm/README.md).
	// Default: 10 per CPU, 10 × runtime.GOMAXPROCS(0) when New runs, as
	// go-redis sizes its pool.
	MaxIdleConns int

	// LockRetries is how many more times Lock tries after the first
	// attempt fails (memcached.sess_lock_retries); -1 means none.
	// Default: 5.
	LockRetries int
	// LockWaitMin is the first wait between lock attempts
	// (memcached.sess_lock_wait_min); each wait doubles up to LockWaitMax.
	// Default: 150 ms.
	LockWaitMin time.Duration
	// LockWaitMax is the longest wait between lock attempts
	// (memcached.sess_lock_wait_max). Default: 150 ms, or LockWaitMin if
	// that is longer.
	LockWaitMax time.Duration
	// LockExpire is how long a lock lives if its holder never releases it
	// (memcached.sess_lock_expire, else max_execution_time). Default: 30 s.
	LockExpire time.Duration

	// Logger receives the store's logs (Debug: a lock that was busy; a
	// session id appears only as its hash, [adapters.IDAttr]).
	// Default: nil, which logs to slog.Default() as it is at the time.
	Logger *slog.Logger
}

func (o *Options) withDefaults() (Options, error) {
	opts := *o
	opts.Servers = append([]Server(nil), o.Servers...)
	if len(opts.Servers) == 0 {
		opts.Servers = []Server{{Host: "127.0.0.1", Port: defaultPort, Weight: 1}}
	}
	native := opts.Layout == adapters.LayoutNative
	switch opts.Layout {
	case adapters.LayoutPhalcon5, adapters.LayoutPhalcon4, adapters.LayoutNative:
	default:
		return opts, fmt.Errorf("memcachedstore: unknown layout %v", opts.Layout)
	}
	if opts.Distribution == DistributionDefault {
		switch opts.Layout {
		case adapters.LayoutPhalcon4:
			opts.Distribution = DistributionCRC
		case adapters.LayoutNative:
			opts.Distribution = DistributionKetama
		default:
			opts.Distribution = DistributionConsistent
		}
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
		if native {
			opts.Prefix = NativePrefix
		}
	}
	for i := 0; i < len(opts.Prefix); i++ {
		if c := opts.Prefix[i]; c <= ' ' || c == 0x7f {
			return opts, fmt.Errorf("memcachedstore: prefix %q: byte %q at offset %d is not allowed in a memcached key", opts.Prefix, c, i)
		}
	}
	if len(opts.Prefix) > maxKeyLength-1 {
		return opts, fmt.Errorf("memcachedstore: prefix is %d bytes, leaving no room for an id in %d", len(opts.Prefix), maxKeyLength)
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = DefaultLifetime
		if native {
			opts.Lifetime = NativeLifetime
		}
	}
	switch opts.Compression {
	case CompressionNone:
	case CompressionFastLZ, CompressionZlib:
		if native {
			return opts, fmt.Errorf("memcachedstore: compression %v with the native layout: php-memcached's session handler reads raw bytes", opts.Compression)
		}
	default:
		return opts, fmt.Errorf("memcachedstore: unknown compression %v", opts.Compression)
	}
	if opts.CompressionThreshold == 0 {
		opts.CompressionThreshold = DefaultCompressionThreshold
	}
	if opts.CompressionFactor == 0 {
		opts.CompressionFactor = DefaultCompressionFactor
	}
	if opts.MaxValueSize == 0 {
		opts.MaxValueSize = DefaultMaxValueSize
	}
	if opts.MaxIdleConns == 0 {
		opts.MaxIdleConns = 10 * runtime.GOMAXPROCS(0)
	}
	switch {
	case opts.LockRetries == 0:
		opts.LockRetries = DefaultLockRetries
	case opts.LockRetries == -1:
		opts.LockRetries = 0
	}
	if opts.LockWaitMin == 0 {
		opts.LockWaitMin = DefaultLockWait
	}
	if opts.LockWaitMax == 0 {
		opts.LockWaitMax = max(DefaultLockWait, opts.LockWaitMin)
	}
	if opts.LockExpire == 0 {
		opts.LockExpire = DefaultLockExpire
	}
	for _, v := range []struct {
		name string
		bad  bool
	}{
		{"Lifetime", opts.Lifetime < 0},
		{"CompressionThreshold", opts.CompressionThreshold < 0},
		{"CompressionFactor", opts.CompressionFactor < 0},
		{"MaxValueSize", opts.MaxValueSize < 0},
		{"Timeout", opts.Timeout < 0},
		{"MaxIdleConns", opts.MaxIdleConns < 0},
		{"LockRetries", opts.LockRetries < 0},
		{"LockWaitMin", opts.LockWaitMin < 0},
		{"LockWaitMax", opts.LockWaitMax < opts.LockWaitMin},
		{"LockExpire", opts.LockExpire < 0},
	} {
		if v.bad {
			return opts, fmt.Errorf("memcachedstore: invalid %s", v.name)
		}
	}
	return opts, nil
}

// Store keeps sessions in memcached where PHP keeps them: Phalcon's
// Libmemcached session adapter (Phalcon 4 and 5) or php-memcached's own
// session handler (session.save_handler=memcached), on the same server PHP
// picks (see [Selector]), with the same key and value bytes. It is safe for
// concurrent use.
//
// Besides [adapters.Store] it implements [adapters.Toucher],
// [adapters.Validator], [adapters.Locker] and [adapters.CASWriter], and
// for tools [adapters.Inspector] and [adapters.Expirer]. It has no Peek
// ([adapters.Peeker]): its Read never waits for a session's lock, a key
// of its own, so Read is already what Peek would be.
type Store struct {
	opts   Options
	client *memcache.Client
	sel    *Selector
	codec  codec

	mu    sync.Mutex
	locks map[string]*heldLock // locks this Store holds, by memcached key of the session
}

var (
	_ adapters.Store     = (*Store)(nil)
	_ adapters.Toucher   = (*Store)(nil)
	_ adapters.Validator = (*Store)(nil)
	_ adapters.Locker    = (*Store)(nil)
	_ adapters.CASWriter = (*Store)(nil)
)

// New returns a Store for the servers in opts. It does not connect: the
// first call does. It returns an error if an option is invalid.
func New(opts Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sel, err := NewSelector(SelectorOptions{Servers: o.Servers, Distribution: o.Distribution, Prefix: o.Prefix})
	if err != nil {
		return nil, err
	}
	client := memcache.NewFromSelector(sel)
	client.Timeout = o.Timeout
	client.MaxIdleConns = o.MaxIdleConns
	return &Store{
		opts:   o,
		client: client,
		sel:    sel,
		codec: codec{
			compression: o.Compression,
			threshold:   o.CompressionThreshold,
			factor:      o.CompressionFactor,
			maxSize:     o.MaxValueSize,
		},
		locks: make(map[string]*heldLock),
	}, nil
}

// Close closes the idle connections. The Store must not be used after.
func (s *Store) Close() error {
	return s.client.Close()
}

// Key returns the memcached key of session id: the prefix and the id.
func (s *Store) Key(id string) string {
	return s.opts.Prefix + id
}

// key checks id and returns its memcached key.
func (s *Store) key(ctx context.Context, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("memcachedstore: %w", err)
	}
	if err := adapters.ValidID(id); err != nil {
		return "", fmt.Errorf("memcachedstore: %w", err)
	}
	// The lock key, prefix + "lock." + id, is the longest key for an id.
	if n := len(s.opts.Prefix) + len(lockInfix) + len(id); n > maxKeyLength {
		return "", fmt.Errorf("memcachedstore: %w: id of %d bytes makes a %d-byte key, memcached allows %d",
			adapters.ErrInvalidID, len(id), n, maxKeyLength)
	}
	return s.opts.Prefix + id, nil
}

// expiration turns a ttl into memcached's exptime as the php-memcached
// session handler does (s_adjust_expiration).
func (s *Store) expiration(ttl time.Duration) (int32, error) {
	if ttl < 0 {
		return 0, fmt.Errorf("memcachedstore: negative ttl %v", ttl)
	}
	if ttl == 0 {
		ttl = s.opts.Lifetime
	}
	return exptime(ttl), nil
}

func exptime(d time.Duration) int32 {
	secs := int64(d / time.Second)
	if d%time.Second != 0 {
		secs++ // a partial second counts
	}
	if secs > maxRelativeExpiration {
		secs += time.Now().Unix()
	}
	return int32(min(secs, 1<<31-1))
}

// Read returns the payload of session id. A value that is not a string or
// cannot be decompressed gives a [*ValueError]; with LayoutPhalcon5 a value
// without the s:N:"..."; wrapper gives an error wrapping
// [adapters.ErrNotWrapped] (Phalcon would read it as an empty session).
func (s *Store) Read(ctx context.Context, id string) ([]byte, bool, error) {
	data, found, _, err := s.read(ctx, id)
	return data, found, err
}

func (s *Store) read(ctx context.Context, id string) ([]byte, bool, *memcache.Item, error) {
	key, err := s.key(ctx, id)
	if err != nil {
		return nil, false, nil, err
	}
	var it *memcache.Item
	err = s.do(ctx, func() (err error) { it, err = s.client.Get(key); return err })
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, false, nil, nil
	}
	if err != nil {
		return nil, false, nil, fmt.Errorf("memcachedstore: get %q: %w", key, err)
	}
	data, err := s.payload(it)
	if err != nil {
		return nil, false, nil, err
	}
	return data, true, it, nil
}

// payload returns the session payload in an item.
func (s *Store) payload(it *memcache.Item) ([]byte, error) {
	if s.opts.Layout == adapters.LayoutNative {
		// The session handler reads the bytes as they are, whatever the
		// flags say.
		return it.Value, nil
	}
	v, err := s.codec.decode(it.Key, it.Value, it.Flags)
	if err != nil {
		return nil, err
	}
	if s.opts.Layout == adapters.LayoutPhalcon5 {
		p, err := adapters.Unwrap(v)
		if err != nil {
			return nil, fmt.Errorf("memcachedstore: key %q: %w", it.Key, err)
		}
		return p, nil
	}
	return v, nil
}

// item returns the item that stores data under key, and a func to call
// once the item has been sent, which recycles its buffer.
func (s *Store) item(key string, data []byte, ttl time.Duration) (*memcache.Item, func(), error) {
	exp, err := s.expiration(ttl)
	if err != nil {
		return nil, nil, err
	}
	v, done := data, func() {}
	if s.opts.Layout == adapters.LayoutPhalcon5 {
		buf := wrapPool.Get().(*[]byte)
		*buf = adapters.AppendWrap((*buf)[:0], data)
		v = *buf
		done = func() {
			if cap(*buf) <= maxPooledWrap {
				wrapPool.Put(buf)
			}
		}
	}
	v, flags := s.codec.encode(v)
	return &memcache.Item{Key: key, Value: v, Flags: flags, Expiration: exp}, done, nil
}

// wrapPool recycles the buffers of Phalcon 5's s:N:"..."; values: gomemcache
// is done with an item's value when Set returns.
var wrapPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledWrap = 1 << 20

// Write stores data under id (memcached set), with ttl, or Lifetime if ttl
// is zero.
func (s *Store) Write(ctx context.Context, id string, data []byte, ttl time.Duration) error {
	key, err := s.key(ctx, id)
	if err != nil {
		return err
	}
	it, done, err := s.item(key, data, ttl)
	if err != nil {
		return err
	}
	if err := s.do(ctx, func() error { defer done(); return s.client.Set(it) }); err != nil {
		return fmt.Errorf("memcachedstore: set %q: %w", key, outcome(err))
	}
	return nil
}

// Destroy deletes session id. With LayoutNative it also releases the
// session's lock if this Store holds it, as php-memcached's destroy does;
// the holder's Unlock then does nothing.
func (s *Store) Destroy(ctx context.Context, id string) error {
	key, err := s.key(ctx, id)
	if err != nil {
		return err
	}
	if err := s.do(ctx, func() error { return s.client.Delete(key) }); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return fmt.Errorf("memcachedstore: delete %q: %w", key, outcome(err))
	}
	if s.opts.Layout == adapters.LayoutNative {
		s.mu.Lock()
		l := s.locks[key]
		s.mu.Unlock()
		if l != nil {
			return l.release(ctx, s)
		}
	}
	return nil
}

// GC does nothing: memcached expires sessions by itself. It returns 0, nil
// (or the context's error).
func (s *Store) GC(ctx context.Context, maxLifetime time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memcachedstore: %w", err)
	}
	return 0, nil
}

// Touch sets the expiry of session id to ttl (or Lifetime) without
// rewriting it: memcached touch, which is php-memcached's updateTimestamp.
// Phalcon ≥ 5.14.2's updateTimestamp rewrites the whole value instead; the
// expiry it leaves is the same. Touching a missing id does nothing.
func (s *Store) Touch(ctx context.Context, id string, ttl time.Duration) error {
	key, err := s.key(ctx, id)
	if err != nil {
		return err
	}
	exp, err := s.expiration(ttl)
	if err != nil {
		return err
	}
	if err := s.do(ctx, func() error { return s.client.Touch(key, exp) }); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return fmt.Errorf("memcachedstore: touch %q: %w", key, err)
	}
	return nil
}

// Exists reports whether session id exists (a memcached get, as Phalcon's
// has() does).
func (s *Store) Exists(ctx context.Context, id string) (bool, error) {
	key, err := s.key(ctx, id)
	if err != nil {
		return false, err
	}
	err = s.do(ctx, func() error { _, err := s.client.Get(key); return err })
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("memcachedstore: get %q: %w", key, err)
	}
	return true, nil
}

// casVersion is the version token of ReadVersion: the item as read, which
// carries its CAS id, or the key alone for a session that was missing.
type casVersion struct {
	key  string
	item *memcache.Item // nil: the session was missing
}

// ReadVersion reads session id like Read, with its memcached CAS id as the
// version.
func (s *Store) ReadVersion(ctx context.Context, id string) ([]byte, bool, adapters.Version, error) {
	data, found, it, err := s.read(ctx, id)
	if err != nil {
		return nil, false, nil, err
	}
	return data, found, &casVersion{key: s.Key(id), item: it}, nil
}

// WriteIfVersion writes data under id only if the session is unchanged
// since the ReadVersion that returned version: a memcached cas, or an add
// if the session was missing then. Otherwise it returns an error wrapping
// [adapters.ErrConflict].
func (s *Store) WriteIfVersion(ctx context.Context, id string, data []byte, ttl time.Duration, version adapters.Version) error {
	key, err := s.key(ctx, id)
	if err != nil {
		return err
	}
	v, ok := version.(*casVersion)
	if !ok || v == nil || v.key != key {
		return fmt.Errorf("memcachedstore: write %q: the version is not from a ReadVersion of this id", key)
	}
	it, done, err := s.item(key, data, ttl)
	if err != nil {
		return err
	}
	err = s.do(ctx, func() error {
		defer done()
		if v.item == nil {
			return s.client.Add(it)
		}
		cas := *v.item // carries the CAS id
		cas.Value, cas.Flags, cas.Expiration = it.Value, it.Flags, it.Expiration
		return s.client.CompareAndSwap(&cas)
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, memcache.ErrNotStored), errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss):
		return fmt.Errorf("memcachedstore: write %q: %w", key, adapters.ErrConflict)
	}
	return fmt.Errorf("memcachedstore: write %q: %w", key, outcome(err))
}

// do runs f, one call to memcached, and waits for it as long as ctx
// allows. When ctx ends first, do returns the context's error at once and
// f finishes on its own (gomemcache's calls take no context; Options.Timeout
// bounds them), its result dropped.
func (s *Store) do(ctx context.Context, f func() error) error {
	return s.doThen(ctx, f, nil)
}

// doThen is do, and when ctx ends before f returns and late is not nil,
// calls late with f's error once f returns (from f's goroutine).
func (s *Store) doThen(ctx context.Context, f func() error, late func(error)) error {
	if ctx.Done() == nil {
		return f()
	}
	var (
		mu        sync.Mutex
		abandoned bool
		done      = make(chan error, 1)
	)
	go func() {
		err := f()
		mu.Lock()
		defer mu.Unlock()
		if !abandoned {
			done <- err
		} else if late != nil {
			late(err)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case err := <-done: // f returned meanwhile
			return err
		default:
			abandoned = true
			return ctx.Err()
		}
	}
}

// outcome wraps err, the error of a command that changes memcached, with
// [adapters.ErrOutcomeUnknown] unless memcached answered it or it failed
// before anything was sent (no server, no connection): a timeout, a done
// context or a dropped connection may leave the command applied.
func outcome(err error) error {
	var connect *memcache.ConnectTimeoutError
	var op *net.OpError
	switch {
	case err == nil,
		errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrCASConflict),
		errors.Is(err, memcache.ErrNotStored), errors.Is(err, memcache.ErrServerError),
		errors.Is(err, memcache.ErrNoServers), errors.Is(err, memcache.ErrMalformedKey),
		errors.Is(err, memcache.ErrNoStats), errors.As(err, &connect),
		errors.As(err, &op) && op.Op == "dial":
		return err
	}
	return fmt.Errorf("%w: %w", adapters.ErrOutcomeUnknown, err)
}
