package redisstore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessbridge/sessbridge/adapters"
)

// Defaults of the Phalcon layouts ([adapters.LayoutPhalcon5],
// [adapters.LayoutPhalcon4]): Phalcon's Redis session adapter options.
const (
	// DefaultPrefix is Phalcon's session prefix ("sess-reds-").
	DefaultPrefix = "sess-reds-"
	// DefaultLifetime is Phalcon's storage lifetime option (3600 s).
	DefaultLifetime = 3600 * time.Second
	// DefaultLockExpiry is Phalcon's lockExpiry option (30 s).
	DefaultLockExpiry = 30 * time.Second
	// DefaultLockRetries is Phalcon's lockRetries option (100 attempts).
	DefaultLockRetries = 100
	// DefaultLockWait is Phalcon's lockWaitTime option (50000 µs).
	DefaultLockWait = 50 * time.Millisecond
	// DefaultMaxSize is the default [Options.MaxSize] (64 MiB), in every
	// layout.
	DefaultMaxSize = 64 << 20
)

// Defaults of [adapters.LayoutNative]: phpredis's session handler
// (session.save_handler=redis) with PHP's and phpredis 6.x's defaults.
const (
	// NativePrefix is phpredis's session key prefix ("PHPREDIS_SESSION:").
	NativePrefix = "PHPREDIS_SESSION:"
	// NativeLifetime is PHP's session.gc_maxlifetime default (1440 s),
	// which phpredis uses as the key's TTL.
	NativeLifetime = 1440 * time.Second
	// NativeLockExpiry is the lock TTL phpredis uses by default: its
	// redis.session.lock_expire is 0, which means PHP's max_execution_time,
	// 30 s in php.ini for web requests.
	NativeLockExpiry = 30 * time.Second
	// NativeLockRetries is phpredis 6.x's redis.session.lock_retries
	// default (100; phpredis 5.3.7 used 10).
	NativeLockRetries = 100
	// NativeLockWait is phpredis 6.x's redis.session.lock_wait_time default
	// (20000 µs; phpredis 5.3.7 used 2000 µs).
	NativeLockWait = 20 * time.Millisecond
)

// Options configures a [Store] and, for [Open] and [NewClient], the Redis
// connection. The field names follow the options array of Phalcon's Redis
// session adapter (host, port, index, auth, persistent, socket, timeout,
// readTimeout, retryInterval, ssl, prefix, lifetime, lockingEnabled,
// lockExpiry, lockRetries, lockWaitTime), plus Sentinel and Cluster
// addresses, which Phalcon's session adapter does not have.
//
// The zero value is valid: Phalcon 5's defaults against 127.0.0.1:6379.
// Where the default depends on the layout, the field's comment gives both.
// [New] uses only the store fields (Layout, Prefix, Lifetime and the
// locking fields) and ignores the connection fields.
type Options struct {
	// Layout chooses the keys and value bytes:
	//
	//   - [adapters.LayoutPhalcon5] and [adapters.LayoutPhalcon4]: key
	//     <Prefix><id> holding the payload wrapped as PHP's serialize() of a
	//     string (s:N:"<payload>";), as Phalcon's Redis session adapter
	//     stores it; lock key <Prefix><id>-lock. The two layouts write the
	//     same bytes. They differ in reading a value that is not wrapped:
	//     Phalcon 4 (phpredis's serializer) falls back to the raw value, so
	//     LayoutPhalcon4 returns it as the payload; Phalcon 5 fails to
	//     unserialize it, reads an empty session and overwrites the value
	//     on its next write; LayoutPhalcon5 refuses it instead, with an
	//     error wrapping [adapters.ErrNotWrapped], so nothing is lost
	//     silently. (A raw value that is itself serialized PHP data, such as
	//     an unwrapped php_serialize payload, both PHP versions unserialize
	//     into something that is not a session; Go returns it unchanged
	//     under LayoutPhalcon4.)
	//   - [adapters.LayoutNative]: phpredis's session handler: key
	//     <Prefix><id> holding the raw payload; lock key <Prefix><id>_LOCK.
	//
	// Default: adapters.LayoutPhalcon5.
	Layout adapters.Layout

	// Prefix is put in front of every session id to form its key. It is
	// Phalcon's prefix option and phpredis's ?prefix= save_path parameter.
	// phpredis's Cluster session handler (session.save_handler=rediscluster)
	// uses "PHPREDIS_CLUSTER_SESSION:" and takes no lock.
	// Default: "sess-reds-" ([DefaultPrefix]); "PHPREDIS_SESSION:"
	// ([NativePrefix]) with LayoutNative.
	Prefix string

	// Lifetime is the TTL a Write with a zero ttl gives the key: Phalcon's
	// lifetime option, or PHP's session.gc_maxlifetime for phpredis. It is
	// rounded up to whole seconds, as Redis's SETEX counts seconds. Phalcon
	// cannot use a lifetime of 0 (phpredis refuses the write), so zero
	// always means the default here.
	// Default: 3600 s ([DefaultLifetime]); 1440 s ([NativeLifetime]) with
	// LayoutNative.
	Lifetime time.Duration

	// Locking turns on the lock protocol of [Store.Lock] (Phalcon's
	// lockingEnabled, phpredis's redis.session.locking_enabled). When it is
	// false, Lock takes no lock and returns at once, as PHP does with
	// locking off. Phalcon 4 and Phalcon 5 before 5.14.2 never lock: with
	// them a Go lock only excludes other Go processes.
	// Default: false.
	Locking bool

	// LockExpiry is the TTL of a lock key, after which a holder that died
	// loses it. It is rounded up to whole seconds in the Phalcon layouts
	// (SET ... EX) and to milliseconds in LayoutNative (SET ... PX). A
	// negative LockExpiry gives lock keys no TTL at all, as phpredis does
	// when both lock_expire and max_execution_time are 0 (the PHP CLI); a
	// holder that crashes then leaves the lock for ever.
	// Default: 30 s ([DefaultLockExpiry], [NativeLockExpiry]).
	LockExpiry time.Duration

	// LockRetries bounds how often Lock tries to take a lock that someone
	// else holds. With the Phalcon layouts it is the number of attempts, as
	// Phalcon's lockRetries; with LayoutNative there is one attempt more, as
	// phpredis's redis.session.lock_retries. A negative LockRetries tries
	// until the context is done (phpredis's -1).
	// Default: 100 ([DefaultLockRetries], [NativeLockRetries]).
	LockRetries int

	// LockWait is the pause between two attempts to take a lock (Phalcon's
	// lockWaitTime, phpredis's redis.session.lock_wait_time, both in µs in
	// PHP).
	// Default: 50 ms ([DefaultLockWait]); 20 ms ([NativeLockWait]) with
	// LayoutNative.
	LockWait time.Duration

	// AutoPipeline sends the commands on a session key (a read's EXISTS,
	// STRLEN and GETRANGE, SETEX,
	// the compare-and-swap script, EXPIRE, EXISTS, DEL/UNLINK, and the
	// script that writes a locked session and releases its lock) through
	// the client's go-redis [redis.AutoPipeliner] whenever at least 16
	// calls of the Store are under way, the new one included: the
	// AutoPipeliner batches the commands of concurrent requests into one
	// pipeline per round trip, and the server then reads and answers many
	// commands per system call. With fewer calls under way, a call sends its
	// commands on a pooled connection as without AutoPipeline: batches of
	// a few commands cost the Go process more through the AutoPipeliner's
	// hand-offs between goroutines than they save. [Store.LockRead] then
	// queues its SET NX and its read one after the other on the
	// client's deferred AutoPipeliner (AsyncAutoPipeline), whose commands
	// run in order, so that they too share a batch. Releasing a lock
	// without a write, [Store.Lock], and listing always use the client
	// itself. In this project's PHP-FPM
	// benchmark (bench/fpm/README.md), with SaveMerge and 32 requests at
	// once, Redis spent 11.7 µs of CPU per request with it and 28.0 µs
	// without, the Go process 54 µs and 70 µs; with 8 requests at once,
	// both the same as without it.
	//
	// The trade-offs are go-redis's: a command's context no longer bounds
	// it once it is queued (the connection's read and write timeouts
	// still do), a batch that fails on a network error is retried whole,
	// and the AutoPipeliner is an experimental go-redis API. A retried
	// compare-and-swap that had already written reports a conflict, after
	// which the manager reads the session again and merges its changes
	// once more, so nothing is lost. [New] returns an error for a client
	// that has no AutoPipeliner (anything but a go-redis Client,
	// ClusterClient or Ring, or an AutoPipeliner itself).
	// Default: false (every command on its own, on the client).
	AutoPipeline bool

	// MaxSize is the largest stored value Read, ReadVersion and LockRead
	// accept, in bytes; a larger one is refused with an error wrapping
	// [ErrTooLarge] after at most its first MiB was transferred (see
	// [Store.Read]). Zero means the default; a negative MaxSize is
	// refused by [New].
	// Default: 64 MiB ([DefaultMaxSize]), the largest session the
	// phpsession decoder accepts by default.
	MaxSize int64

	// Logger receives the store's logs (Debug: a lock that was busy; a
	// session id appears only as its hash, [adapters.IDAttr]).
	// Default: nil, which logs to slog.Default() as it is at the time.
	Logger *slog.Logger

	// The fields below configure the connection made by [Open] and
	// [NewClient]. [New] ignores them.

	// Host is the Redis server's host name or IP address.
	// Default: "127.0.0.1".
	Host string

	// Port is the Redis server's TCP port.
	// Default: 6379.
	Port int

	// Socket is the path of a Unix socket to connect to instead of
	// Host:Port. Phalcon accepts a socket option but never uses it; phpredis
	// accepts unix:/path in session.save_path.
	// Default: "" (use Host and Port).
	Socket string

	// Index is the database number to SELECT (Phalcon's index, phpredis's
	// ?database=). Redis Cluster only has database 0.
	// Default: 0.
	Index int

	// Username and Password authenticate with AUTH (Phalcon's auth option,
	// a password or [user, password]). An empty Username uses the default
	// user.
	// Default: "" (no AUTH).
	Username string
	// Password is the AUTH password; see Username.
	// Default: "".
	Password string

	// Persistent is Phalcon's persistent option. It is accepted for
	// symmetry and has no effect: a Go client always keeps a pool of
	// connections open for reuse.
	// Default: false.
	Persistent bool

	// Timeout bounds connecting to the server (Phalcon's timeout, which
	// phpredis uses as the connect timeout; Phalcon's connectTimeout option
	// is never used by Phalcon and has no counterpart here).
	// Default: 0, go-redis's 5 s.
	Timeout time.Duration

	// ReadTimeout bounds waiting for a reply (Phalcon's readTimeout).
	// Default: 0, go-redis's default (5 s).
	ReadTimeout time.Duration

	// RetryInterval is the pause before a command is retried on a new
	// connection after a network error (Phalcon's retryInterval).
	// Default: 0, go-redis's default backoff.
	RetryInterval time.Duration

	// TLS, when not nil, connects with TLS using this configuration
	// (Phalcon's ssl option, phpredis's stream context).
	// Default: nil (plain TCP).
	TLS *tls.Config

	// SentinelMaster is the name of the master to ask the Sentinels in
	// SentinelAddrs for. Setting it connects through Sentinel (with
	// failover) instead of to Host:Port.
	// Default: "" (no Sentinel).
	SentinelMaster string
	// SentinelAddrs are the host:port addresses of the Sentinels.
	// Default: nil.
	SentinelAddrs []string
	// SentinelUsername and SentinelPassword authenticate with the
	// Sentinels, when they require it.
	// Default: "".
	SentinelUsername string
	// SentinelPassword is the Sentinels' AUTH password.
	// Default: "".
	SentinelPassword string

	// ClusterAddrs are host:port addresses of some nodes of a Redis Cluster.
	// Setting them connects to the cluster instead of to Host:Port.
	// Default: nil (no cluster).
	ClusterAddrs []string
}

// withDefaults returns a copy of o with every zero field filled in.
func (o *Options) withDefaults() Options {
	opts := *o
	native := opts.Layout == adapters.LayoutNative
	pick := func(phalcon, php time.Duration) time.Duration {
		if native {
			return php
		}
		return phalcon
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
		if native {
			opts.Prefix = NativePrefix
		}
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = pick(DefaultLifetime, NativeLifetime)
	}
	if opts.LockExpiry == 0 {
		opts.LockExpiry = pick(DefaultLockExpiry, NativeLockExpiry)
	}
	if opts.LockRetries == 0 {
		opts.LockRetries = DefaultLockRetries
		if native {
			opts.LockRetries = NativeLockRetries
		}
	}
	if opts.LockWait == 0 {
		opts.LockWait = pick(DefaultLockWait, NativeLockWait)
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = 6379
	}
	return opts
}

// validate reports store options that cannot work.
func (o *Options) validate() error {
	switch o.Layout {
	case adapters.LayoutPhalcon5, adapters.LayoutPhalcon4, adapters.LayoutNative:
	default:
		return fmt.Errorf("redisstore: unknown layout %v", o.Layout)
	}
	if o.Lifetime < 0 {
		return fmt.Errorf("redisstore: negative lifetime %v", o.Lifetime)
	}
	if o.LockWait < 0 {
		return fmt.Errorf("redisstore: negative lock wait %v", o.LockWait)
	}
	if o.MaxSize < 0 {
		return fmt.Errorf("redisstore: negative max size %d", o.MaxSize)
	}
	return nil
}

// NewClient returns a go-redis client for the connection fields of opts: a
// Cluster client when ClusterAddrs is set, a Sentinel failover client when
// SentinelMaster is set, and otherwise a client for Socket or Host:Port.
// It does not connect; the first command does. The caller closes the client.
//
// NewClient returns an error for contradictory options: both Sentinel and
// Cluster, a Sentinel master without addresses, a database index on a
// Cluster, or a port out of range.
func NewClient(opts Options) (redis.UniversalClient, error) {
	o := opts.withDefaults()
	switch {
	case o.SentinelMaster != "" && len(o.ClusterAddrs) > 0:
		return nil, errors.New("redisstore: both SentinelMaster and ClusterAddrs are set")
	case o.SentinelMaster != "" && len(o.SentinelAddrs) == 0:
		return nil, fmt.Errorf("redisstore: sentinel master %q without SentinelAddrs", o.SentinelMaster)
	case len(o.SentinelAddrs) > 0 && o.SentinelMaster == "":
		return nil, errors.New("redisstore: SentinelAddrs without SentinelMaster")
	case len(o.ClusterAddrs) > 0 && o.Index != 0:
		return nil, fmt.Errorf("redisstore: database index %d on a Redis Cluster, which only has database 0", o.Index)
	case o.Index < 0:
		return nil, fmt.Errorf("redisstore: negative database index %d", o.Index)
	case o.Port < 0 || o.Port > 65535:
		return nil, fmt.Errorf("redisstore: port %d out of range", o.Port)
	}
	u := &redis.UniversalOptions{
		DB:               o.Index,
		Username:         o.Username,
		Password:         o.Password,
		DialTimeout:      o.Timeout,
		ReadTimeout:      o.ReadTimeout,
		TLSConfig:        o.TLS,
		MasterName:       o.SentinelMaster,
		SentinelUsername: o.SentinelUsername,
		SentinelPassword: o.SentinelPassword,
		// Every store call honours its context's deadline (see
		// adapters.Store), not only ReadTimeout.
		ContextTimeoutEnabled: true,
	}
	if o.RetryInterval > 0 {
		u.MinRetryBackoff, u.MaxRetryBackoff = o.RetryInterval, o.RetryInterval
	}
	switch {
	case len(o.ClusterAddrs) > 0:
		u.Addrs = o.ClusterAddrs
		u.IsClusterMode = true
	case o.SentinelMaster != "":
		u.Addrs = o.SentinelAddrs
	case o.Socket != "":
		// A plain client, because UniversalOptions has no network field.
		s := u.Simple()
		s.Network, s.Addr = "unix", o.Socket
		return redis.NewClient(s), nil
	default:
		u.Addrs = []string{net.JoinHostPort(o.Host, strconv.Itoa(o.Port))}
	}
	return redis.NewUniversalClient(u), nil
}
