// Package redisstore keeps sessions in Redis exactly where and how PHP
// keeps them, so that Go and a Phalcon (or plain PHP) app share live
// sessions: Phalcon's Redis session adapter (Phalcon 4 and 5) or phpredis's
// session handler (session.save_handler=redis).
//
// A [Store] works on any go-redis [redis.UniversalClient]: a standalone
// server, Sentinel (failover) or Redis Cluster. [Open] builds the client
// from Phalcon-style [Options]; [New] takes a client you already have.
//
//	store, err := redisstore.Open(redisstore.Options{Host: "10.0.0.5"})
//	if err != nil { ... }
//	defer store.Close()
//	data, found, err := store.Read(ctx, id) // the PHP session payload
//
// # Layouts
//
// For session id X and session payload P (what PHP's session_encode()
// produced), with default options:
//
//	                 Phalcon 5 / Phalcon 4           phpredis (LayoutNative)
//	key              sess-reds-X                     PHPREDIS_SESSION:X
//	value            s:<len(P)>:"P";                 P
//	write            SETEX key 3600 value            SETEX key 1440 value
//	read             GET                             GET
//	touch            EXPIRE key 3600                 EXPIRE key 1440
//	destroy          UNLINK                          DEL
//	exists           EXISTS                          EXISTS
//	lock key         sess-reds-X-lock                PHPREDIS_SESSION:X_LOCK
//	lock value       32 random hex digits            <hostname>|<pid>|<16 hex>
//	lock command     SET k v NX EX 30                SET k v NX PX 30000
//	release          EVAL compare-and-delete         EVALSHA/EVAL compare-and-delete
//
// Phalcon 5.12+ deletes with UNLINK (older versions DEL, with the same
// result) and Phalcon 5.14.2+ touches by rewriting the value, which leaves
// the same key, value and TTL as EXPIRE. Phalcon 4 and 5 write the same
// bytes; they differ only in reading a value that is not wrapped (see
// [Options.Layout]). Locking is off by default on both PHP sides and here
// ([Options.Locking]).
//
// [Store] implements [adapters.Store] and every optional capability:
// [adapters.Toucher], [adapters.Validator], [adapters.Locker],
// [adapters.LockReader] (SET NX and the read in one pipeline, then one
// script that writes and releases, or EXPIRE and the release in one
// pipeline),
// [adapters.CASWriter] (one GET, then one
// EVALSHA, also on a Cluster since a session is one key) and
// [adapters.Lister] (SCAN, on every master of a Cluster; never KEYS).
//
// # Reads
//
// Where PHP sends GET, the store sends EXISTS, STRLEN and GETRANGE of the
// value's first MiB, in one pipeline: one round trip, for a missing
// session too (EXISTS tells it from an empty value, for which GETRANGE
// also returns ""). A value longer than [Options.MaxSize] is refused with
// an error wrapping [ErrTooLarge] in that round trip, by its length, with
// at most its first MiB transferred (MaxSize+1 bytes when MaxSize is under
// 1 MiB); a value of 1 MiB or more within MaxSize is read whole in a
// second round trip. On a Cluster or Ring the read is one round trip too,
// as its commands are on one key.
//
// # Timeouts
//
// Every call honours its context's deadline when the client has go-redis's
// ContextTimeoutEnabled, which [NewClient] and [Open] set; see [New] for a
// client of your own. A write or destroy sent without a reply wraps
// [adapters.ErrOutcomeUnknown]; a lock attempt sent without a reply is
// followed by a release, so that the lock it may take later does not
// outlive its caller.
//
// # Errors
//
// A missing session is found == false with a nil error, never
// [redis.Nil]. Failures are [*OpError] values naming the operation and the key,
// wrapping the go-redis or context error; a lock that cannot be taken is a
// [*LockError] (errors.Is [adapters.ErrLockTimeout]) with Phalcon's
// message; a lost compare-and-swap wraps [adapters.ErrConflict]. When
// Redis refuses the store's password (NOAUTH, WRONGPASS) or its user's ACL
// refuses a command (NOPERM), the *OpError also matches [ErrAuth]: never a
// held lock or a missing session. A user that may SET but not GET takes
// the lock of LockRead before its read is refused; as the release scripts
// GET the lock, which Redis refuses too, the lock is then released by a
// script that compares the token through SET ... NX GET (Redis 7.0+), so
// that it does not block the session until it expires.
//
// # Security considerations
//
// Session ids are checked with [adapters.ValidID] before they become keys.
// As in Phalcon and phpredis, the key of an id ending in the lock suffix
// ("X-lock", or "X_LOCK" for phpredis) is the lock key of session X, and
// [Store.Sessions] does not list such ids. A client that knows X's id can
// thus read X's lock token or block X's lock, through the Go side as
// through the PHP side; knowing X's id already gives it the session.
//
// The store never decodes a payload: it only adds or strips Phalcon's
// s:N:"..."; wrapper, checking the declared length, and returns the bytes
// as they are. Lock values come from crypto/rand (the phpredis layout also
// carries the host name and process id, as phpredis's own values do), and
// a lock is released only by its holder, with a compare-and-delete script.
// Listing uses SCAN with the prefix's glob characters escaped, so a prefix
// cannot widen the match.
package redisstore
