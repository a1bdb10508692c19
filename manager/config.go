package manager

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sessbridge/sessbridge/phpsession"
)

// Config holds a [Manager]'s settings. The zero value of every field is a
// documented default, mostly PHP's own compiled-in defaults, so a zero Config
// behaves like a fresh PHP with Phalcon 5. [ConfigFromINI] builds one from a
// php.ini.
type Config struct {
	// Name is the session name, which is also the cookie name
	// (session.name). It must be a valid Phalcon session name and not all
	// digits. Default: "PHPSESSID".
	Name string

	// Format is the session serialization format
	// (session.serialize_handler). Default: phpsession.FormatPHP.
	Format phpsession.Format

	// UniqueID is Phalcon's uniqueId option: a non-empty value other than
	// "0" stores every key as UniqueID + "#" + key. Default: "" (no prefix).
	UniqueID string

	// Profile is the Phalcon version to behave like where versions differ.
	// Default: ProfileV5 (Phalcon 5.15 and later).
	Profile Profile

	// Cookie holds the session cookie's attributes.
	Cookie Cookie

	// SIDLength is the number of characters in a new session id
	// (session.sid_length), between MinSIDLength and MaxSIDLength.
	// Default: 32 (PHP's compiled-in default; Debian's php.ini says 26).
	SIDLength int

	// SIDBitsPerCharacter is the number of bits each character of a new
	// session id carries (session.sid_bits_per_character): 4 gives [0-9a-f],
	// 5 [0-9a-v], 6 [0-9a-zA-Z,-]. Default: 4 (Debian's php.ini says 5).
	SIDBitsPerCharacter int

	// StrictMode refuses session ids the store does not hold and starts a
	// new session instead (session.use_strict_mode). A new session is
	// written to the store before its cookie is sent, so a strict PHP peer
	// accepts it. Default: false.
	StrictMode bool

	// NoLazyWrite rewrites an unchanged session at the end of every request
	// (session.lazy_write=0). Default: false, which is PHP's lazy_write=1:
	// an unchanged session only has its expiry refreshed, with the store's
	// Touch when it is an [adapters.Toucher], else by rewriting it (what PHP
	// does with a handler that lacks updateTimestamp).
	NoLazyWrite bool

	// TTL is the lifetime given to the store on every write and touch.
	// Default: 0, the store's own lifetime (3600 s for Phalcon's Redis and
	// Libmemcached adapters, which ignore session.gc_maxlifetime).
	TTL time.Duration

	// Save chooses how a changed session is written. Default: SaveMerge.
	Save SaveMode

	// MaxRetries bounds how many times a compare-and-swap save is retried
	// after losing to a concurrent writer, each after a random pause of up
	// to 1 ms doubled per retry (at most 32 ms). Default: 10.
	MaxRetries int

	// LockRequests holds the store's session lock ([adapters.Locker]) for
	// the whole request, as PHP's locking handlers do from session_start()
	// to session_write_close(): [Session.Start] takes it before it reads an
	// existing session, and [Manager.Commit] writes the session and releases
	// it ([LoadAndSave] commits before the response's first byte, and
	// releases the lock also when the handler panics or the client has
	// gone; other callers release with [Session.Release]). While the lock is
	// held the commit writes the session whole, without another lock or a
	// compare-and-swap: the lock already excludes every writer that takes
	// it. It speaks the PHP side's protocol, so that Go and PHP requests on
	// one session run one after the other and no read-modify-write is lost:
	// flock on files, Phalcon's -lock or phpredis's _LOCK key on Redis (the
	// store's Locking option must be on), php-memcached's lock. key on
	// Memcached. A request that cannot get the lock within LockTimeout gets
	// a [*LockError] from Start (the default ErrorFunc answers 503 Service
	// Unavailable with Retry-After). Changes made after the commit (once
	// the response has started) are saved as Save says, without the lock.
	// [New] refuses LockRequests on a store that cannot lock.
	// Default: false.
	LockRequests bool

	// LockTimeout bounds how long Start waits for the session lock under
	// LockRequests; the request's context, and the store's own retry budget
	// (redisstore's LockRetries×LockWait, memcachedstore's LockRetries,
	// filestore's LockTimeout), may end the wait sooner. The lock itself
	// expires after the store's lock expiry (30 s on Redis and, by
	// php-memcached's default, on Memcached; a file's flock ends with its
	// holder's process), so a crashed holder cannot block for ever.
	// Default: 10 s ([DefaultLockTimeout]).
	LockTimeout time.Duration

	// CommitTimeout bounds each save of [LoadAndSave] (and the release of
	// the request's lock), which runs on a context of its own, detached
	// from the request's so that a client that leaves does not cut a save
	// in half. A save that runs out of time fails; its error wraps
	// adapters.ErrOutcomeUnknown when the write was sent but not answered,
	// as the store may still apply it. Default: 5 s
	// ([DefaultCommitTimeout]).
	CommitTimeout time.Duration

	// ErrorFunc is called by [Manager.LoadAndSave] when the session cannot
	// be loaded or saved. Default: log the error and reply 500 Internal
	// Server Error, or 503 Service Unavailable with "Retry-After: 1" when
	// the error wraps adapters.ErrLockTimeout.
	ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)

	// Logger receives the manager's logs: the default ErrorFunc's errors
	// (level Error), stored sessions that failed to decode and were
	// destroyed (Warn), compare-and-swap conflicts (Debug). A session id
	// appears only as its hash ([adapters.HashID]), values never.
	// Default: nil, which logs to slog.Default() as it is at the time.
	Logger *slog.Logger

	// Hooks observe the manager's loads, saves, locks and conflicts (see
	// [Hooks]; [Manager.AddHooks] adds more later). Default: none.
	Hooks Hooks
}

// Defaults of [Config]'s timeouts.
const (
	DefaultLockTimeout   = 10 * time.Second
	DefaultCommitTimeout = 5 * time.Second
)

// Cookie holds the session cookie's attributes (session.cookie_*).
type Cookie struct {
	// Lifetime of the cookie (session.cookie_lifetime). Default: 0, a
	// cookie that lasts until the browser closes (no Expires or Max-Age).
	Lifetime time.Duration
	// Path (session.cookie_path). Default: "/".
	Path string
	// Domain (session.cookie_domain). Default: "" (no Domain attribute).
	Domain string
	// Secure (session.cookie_secure). Default: false.
	Secure bool
	// HTTPOnly (session.cookie_httponly). Default: false, as in PHP.
	HTTPOnly bool
	// SameSite (session.cookie_samesite). Default: 0, no SameSite
	// attribute, as PHP's empty setting.
	SameSite http.SameSite
}

// SaveMode chooses how [Manager.Commit] writes a changed session.
type SaveMode int

var saveModeNames = [...]string{SaveMerge: "merge", SaveMergeLocked: "merge-locked", SaveReplace: "replace"}

// String returns "merge", "merge-locked" or "replace".
func (m SaveMode) String() string {
	if m >= 0 && int(m) < len(saveModeNames) {
		return saveModeNames[m]
	}
	return fmt.Sprintf("SaveMode(%d)", int(m))
}

const (
	// SaveMerge applies only the top-level keys this request set or removed
	// onto the session as it is in the store at commit time, so that
	// changes PHP (or another Go request) made meanwhile to other keys
	// survive. With an [adapters.CASWriter] store the write is a
	// compare-and-swap against the version read by Start, retried on
	// conflict up to MaxRetries times; otherwise, with an [adapters.Locker]
	// store, the read and write happen under the store's lock; otherwise
	// they happen back to back.
	SaveMerge SaveMode = iota
	// SaveMergeLocked is SaveMerge that always takes the store's lock
	// ([adapters.Locker]), even when the store can compare-and-swap. Use it
	// when the PHP side holds locks (PHP's files handler, Phalcon's Redis
	// lockingEnabled, php-memcached's sess_locking), so that a PHP request
	// cannot read before and write after a Go save.
	SaveMergeLocked
	// SaveReplace writes the whole session as this request sees it, as PHP
	// does: changes others made since Start are lost.
	SaveReplace
)
