// Package storeurl opens a session store described by a URL, the way
// redis.NewUniversalClient picks a topology from its options: one explicit
// switch on the scheme, so that tools (the sessbridge CLI, a service's
// configuration) can name any store in one string.
//
// # Grammar
//
//	file:///dir[?prefix=P&layout=phalcon5|phalcon4]   Phalcon's Stream adapter, savePath dir
//	file:///dir?layout=php[&depth=N&mode=0600]        PHP's files handler
//	file:///N;MODE;/dir?layout=php                    the same, as PHP's save_path (";" may be %3B)
//	redis://[user:pass@]host[:port][/db][?param...]   Phalcon's Redis adapter (redisstore.ParseURL)
//	rediss://...                                      the same over TLS
//	redis+sentinel://h1[:26379][,h2...]/master[/db][?param...]
//	redis+cluster://h1:7000[,h2:7001...][?param...]
//	phpredis://host[:port][/db][?param...]            phpredis's session handler (layout php)
//	memcached://h1[:11211][,h2...][?param...]         Phalcon's Libmemcached adapter
//	phpmemcached://h1[,h2...][?param...]              php-memcached's session handler (layout php)
//	noop:                                             a store that keeps nothing
//
// Parameters of file URLs: layout (phalcon5, phalcon4 or php; default
// phalcon5), prefix (Phalcon's Stream prefix), depth and mode (PHP's
// N;MODE; save_path, layout php only; mode in octal).
//
// Parameters of the redis schemes are those of redisstore.ParseURL
// (layout, prefix, lifetime, locking, lock_expire, lock_retries,
// lock_wait_time, database, timeout, read_timeout, retry_interval,
// persistent, auto_pipeline), plus password_env; phpredis's auth parameter is refused, as
// it would show the password. Sentinel hosts default to port 26379,
// Redis and Cluster hosts to 6379.
//
// Parameters of the memcached schemes: layout, prefix, lifetime (seconds),
// weights (one per host, comma separated), distribution (default,
// consistent, crc, ketama, ketama_weighted), compression (none, fastlz,
// zlib) and timeout (seconds, fractions allowed). Hosts default to port
// 11211.
//
// An unknown parameter, a parameter given twice, or a value that does not
// parse is an error naming it.
//
// # Secrets
//
// A Redis password can stay out of the URL: ?password_env=VAR takes it from
// the environment variable VAR, and a URL without a password takes it from
// SESSBRIDGE_REDIS_PASSWORD when that is set. [Config.String] and every
// error of this package show the password as xxxxx:
//
//	redis://:xxxxx@10.0.0.5:6379/2?layout=php
//
// [Redact] does the same to any text: the password of every URL in it, also
// when a "#", "/", "?", "@" or ":" in it makes the URL malformed (which
// [Parse] refuses, asking for percent-encoding), the value of every
// parameter named like a secret (auth, password, sentinel_password, ...),
// and any other occurrence in the text of a secret so found, such as the
// password repeated in another parameter.
// [Config.Secrets] returns the passwords themselves, for masking messages
// of other origin.
//
// # Identity
//
// [Config.Identity] resolves a URL to the key space it addresses: the
// real path of a directory, the addresses of the servers (every address of
// this machine counting as one, "local"), the database and the prefix with
// the layout's default. [Identity.Overlaps] tells whether two stores can
// hold the same keys, however their URLs are spelled: a tool copying from
// one store to another (sessbridge migrate) refuses them, as a copy onto
// itself that then deletes its source would lose every session.
//
// # Examples
//
// The sessions of a Phalcon 5 app configured with the Stream adapter and
// savePath /var/lib/php/sessions:
//
//	st, err := storeurl.Open(ctx, "file:///var/lib/php/sessions")
//
// PHP's own files handler with session.save_path = "2;0600;/var/lib/php/s":
//
//	st, err := storeurl.Open(ctx, "file:///var/lib/php/s?layout=php&depth=2&mode=0600")
//
// Phalcon's Redis adapter with locking, password in $REDIS_PASS:
//
//	st, err := storeurl.Open(ctx, "redis://10.0.0.5:6379/2?locking=1&password_env=REDIS_PASS")
//
// Two weighted memcached servers with Phalcon's FastLZ compression:
//
//	st, err := storeurl.Open(ctx, "memcached://m1:11211,m2:11211?weights=1,2&compression=fastlz")
//
// [FromPHPINI] reads the same from a php.ini.
package storeurl
