// Package manager is Phalcon's Session\Manager for Go services that share
// live sessions with PHP: the same cookie, the same store, the same bytes.
//
// A [Manager] is built once from a store and a [Config] (or from a php.ini
// read by the phpini package, with [ConfigFromINI]). Its net/http middleware, [Manager.LoadAndSave], gives
// every request a [Session] with Phalcon's API: Start, Get, Set, Has,
// Remove, Destroy, RegenerateID, ID, Name, Options, plus Phalcon's
// [Bag] and Flash\Session helpers:
//
//	store, _ := redisstore.Open(redisstore.Options{Host: "127.0.0.1"})
//	m, _ := manager.New(store, manager.Config{Format: phpsession.FormatPHP})
//	mux.HandleFunc("/me", func(w http.ResponseWriter, r *http.Request) {
//		s := m.Session(r.Context())
//		if err := s.Start(r.Context()); err != nil { ... }
//		user := s.Get("auth", phpsession.Value{})
//		...
//	})
//	http.ListenAndServe(":8080", m.LoadAndSave(mux))
//
// Where Phalcon versions differ (the key under which set("k") lands, which
// cookies start() drops, how a stored null reads, the exception classes),
// [Config.Profile] picks the version to match. Phalcon's exceptions are
// [*Error] values carrying Phalcon's class and exact message.
//
// # Saves that lose nothing
//
// PHP writes the whole session back at the end of a request, so two
// overlapping requests lose one's changes unless the handler locks. A
// Manager instead records which top-level keys the request set or removed
// and, on commit, applies only those onto the session as the store holds it
// at that moment: by compare-and-swap when the store can
// ([adapters.CASWriter]), else under the store's lock ([adapters.Locker]).
// Changes PHP made meanwhile to other keys survive. When the PHP side locks
// its sessions for the whole request (PHP's files handler, Phalcon's
// lockingEnabled, php-memcached's default), use [SaveMergeLocked] so that Go
// takes the same lock. [SaveReplace] is PHP's own behaviour.
//
// Merging protects different keys. For a read-modify-write of one key (a
// counter, a cart, a rotated token), set [Config.LockRequests]: like PHP's
// locking handlers, Start takes the session's lock before it reads and the
// commit releases it after the write, so requests on one session, Go's and
// PHP's, run one after the other. Waits are bounded: [Config.LockTimeout]
// for the lock (then a [*LockError], answered 503), [Config.CommitTimeout]
// for each save of the middleware, and every store call by its context. A
// save whose write was sent but not answered wraps
// adapters.ErrOutcomeUnknown: it may still be applied.
//
// # Ids and cookies
//
// New ids are made as PHP makes them: SIDLength bytes from crypto/rand,
// SIDBitsPerCharacter bits per character over PHP's alphabet
// 0-9a-zA-Z,- (4 bits gives 32 lowercase hex digits, PHP's default). The
// cookie is URL-encoded as PHP does (a ',' goes out as %2C) and URL-decoded
// on the way in. In strict mode an id the store does not hold is replaced,
// and the new session is written before its cookie goes out, so a strict
// PHP accepts it.
//
// # Security considerations
//
// Cookie values are untrusted: an id that the profile's check refuses, or
// that could escape a store's key space or directory (see
// [adapters.ValidID]), is dropped and a new session started, as Phalcon's
// start() does. Session payloads are decoded by phpsession within its size
// and depth limits; PHP objects are never instantiated. A payload that does
// not decode is destroyed, as PHP destroys it.
package manager
