// Package memcachedstore keeps sessions in memcached exactly where and as
// PHP keeps them, so Go and PHP share live sessions:
//
//   - Phalcon's Libmemcached session adapter (adapters.LayoutPhalcon5, the
//     default: key sess-memc-<id>, value s:N:"<payload>";, 3600 s), and
//     Phalcon 4's (adapters.LayoutPhalcon4: the raw payload, keys placed
//     with the CRC-15 hash Phalcon ≤ 5.9 ends up configuring);
//   - php-memcached's own session handler (adapters.LayoutNative:
//     session.save_handler=memcached, key memc.sess.key.<id>, raw payload,
//     gc_maxlifetime 1440 s, and its lock key memc.sess.key.lock.<id>).
//
// With several servers, a key must be read from the server PHP wrote it to.
// [Selector] is a gomemcache ServerSelector that reproduces libmemcached
// 1.1's choice (php-memcached 3.x) in each configuration PHP uses: the
// 100-point one-at-a-time continuum, the weighted MD5 continuum that any
// weight above 1 switches on, the CRC-15 key hash of Phalcon ≤ 5.9, the
// session handler's ketama mode (weights ignored) and the
// libketama-compatible mode; keys are hashed without their prefix, as
// libmemcached does.
//
// Values: php-memcached compresses values of 2000 bytes or more (FastLZ by
// default; flags 0x50, a 4-byte little-endian length, then the stream). The
// store reads FastLZ, zlib and zstd values, and writes uncompressed values (flags
// 0) unless [Options].Compression asks for FastLZ, whose output is byte for
// byte what php-memcached writes.
//
// Usage:
//
//	store, err := memcachedstore.New(memcachedstore.Options{
//		Servers: []memcachedstore.Server{
//			{Host: "10.0.0.1", Port: 11211, Weight: 1},
//			{Host: "10.0.0.2", Port: 11211, Weight: 1},
//		},
//	})
//	if err != nil { ... }
//	data, found, err := store.Read(ctx, id)
//
// For tools that look at sessions without taking part (the sessbridge
// CLI), [Store.Inspect] shows the stored item and its lock, and
// [Store.Expiry] the time an item has left (memcached's meta get, mg with
// the t flag: memcached 1.6 or later). Memcached keeps no time of an
// item's last write, so an Expiry has no Modified, and it cannot list its
// keys, so Store is no adapters.Lister. Store has no Peek: adapters.Peeker
// is for stores whose Read waits while PHP holds the session's lock (a
// file's flock), and memcachedstore's Read never waits for its lock, a key
// of its own.
//
// # Options to match on the PHP side
//
// Phalcon's Libmemcached adapter options map to [Options] like this:
// servers → Servers (same order; host spelled the same, since the host
// string is hashed); prefix → Prefix; lifetime → Lifetime; persistentId,
// saslAuthData and the client array have no Go counterpart (a client option
// that changes the hash or distribution needs the matching Distribution).
// Phalcon 5.0 to 5.9 behave like Phalcon 4 for placement: use
// DistributionCRC with LayoutPhalcon5.
//
// # Limitations
//
// gomemcache has no context support: a call checks ctx before it starts and
// is then bounded by [Options].Timeout, not by ctx's deadline (Lock's waits
// do follow ctx). libmemcached's OPT_REMOVE_FAILED_SERVERS (Phalcon ≥ 5.10)
// reroutes keys away from a failed server inside each PHP process; a
// Selector cannot know, so during an outage Go and PHP may use different
// servers. The modula distribution (memcached.sess_consistent_hash=Off, or a
// Memcached object without OPT_DISTRIBUTION), OPT_HASH_WITH_PREFIX_KEY,
// replicas (sess_number_of_replicas), SASL and the binary protocol are not
// supported; PHP's binary protocol and Go's text protocol share items.
// zstd values (php-memcached ≥ 3.3, compression_type=zstd) are read but
// never written.
//
// # Security considerations
//
// A read transfers one item, and memcached itself bounds an item's size:
// its -I option (--max-item-size, 1 MiB by default, at most 1024 MiB in
// memcached 1.6) refuses to store anything larger, so there is no value
// over that limit to refuse before it is transferred. Values are
// decompressed only up to [Options].MaxValueSize (16 MiB by default), and
// a declared size no compressed stream of that length could reach is
// refused before anything is allocated. Session ids are checked
// with adapters.ValidID and against memcached's 250-byte key limit, so an id
// cannot inject protocol bytes. The memcached text protocol has no
// authentication: keep the servers on a private network.
package memcachedstore
